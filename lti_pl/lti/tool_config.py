"""DatabaseToolConf: pylti1p3's ToolConfAbstract over `models.platforms`, cached per process."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lti_pl.extensions import db
from lti_pl.lti.keys import current_key, private_pem
from lti_pl.models.platforms import Platform

KEY_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class RegistrationRecord:
    """A snapshot of a Platform row, safe to keep across requests."""

    platform_id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str | None
    key_set: dict[str, Any] | None
    deployment_ids: frozenset[str]
    # deployment_id -> Deployment row id, so a launch need not look the row up again.
    deployment_rows: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, platform: Platform) -> RegistrationRecord:
        """Snapshot a platform and its deployments."""
        return cls(
            platform_id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            auth_audience=platform.auth_audience,
            key_set_url=platform.key_set_url,
            key_set=platform.key_set,
            deployment_ids=frozenset(d.deployment_id for d in platform.deployments),
            deployment_rows=MappingProxyType({d.deployment_id: d.id for d in platform.deployments}),
        )


class RegistrationCache:
    """Registrations read on every launch, kept for `ttl` seconds; cleared on any change."""

    def __init__(self, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._by_issuer: dict[str, tuple[float, list[RegistrationRecord]]] = {}
        self._by_id: dict[int, tuple[float, RegistrationRecord | None]] = {}

    def clear(self) -> None:
        """Forget everything (after an import or a registration)."""
        with self._lock:
            self._by_issuer.clear()
            self._by_id.clear()

    def for_platform(self, platform_id: int) -> RegistrationRecord | None:
        """The registration of a platform row (None when it does not exist)."""
        now = time.monotonic()
        with self._lock:
            hit = self._by_id.get(platform_id)
            if hit and hit[0] > now:
                return hit[1]
        platform = db.session.get(Platform, platform_id)
        record = RegistrationRecord.of(platform) if platform is not None else None
        with self._lock:
            self._by_id[platform_id] = (now + self._ttl, record)
        return record

    def for_issuer(self, issuer: str) -> list[RegistrationRecord]:
        """All registrations of an issuer."""
        now = time.monotonic()
        with self._lock:
            hit = self._by_issuer.get(issuer)
            if hit and hit[0] > now:
                return hit[1]
        platforms = db.session.scalars(
            select(Platform)
            .where(Platform.issuer == issuer)
            .options(selectinload(Platform.deployments))
            .order_by(Platform.id)
        ).all()
        records = [RegistrationRecord.of(p) for p in platforms]
        with self._lock:
            self._by_issuer[issuer] = (now + self._ttl, records)
        return records


class ToolRegistration(Registration):
    """A Registration that signs with our stored key and names it by our kid."""

    _kid: str | None = None

    def set_kid(self, kid: str) -> ToolRegistration:
        """Set the kid put in the header of what the tool signs."""
        self._kid = kid
        return self

    def get_kid(self) -> str | None:
        """Our kid (pylti1p3 would derive one from a public key we do not give it)."""
        return self._kid

    @property
    def record(self) -> RegistrationRecord:
        """The snapshot this registration was built from."""
        return self._record

    def set_record(self, record: RegistrationRecord) -> ToolRegistration:
        """Keep the snapshot (platform id for services)."""
        self._record = record
        return self


class DatabaseToolConf(ToolConfAbstract[Any]):
    """Registrations from the database; several client_ids per issuer, several deployments each."""

    def __init__(self, cache: RegistrationCache) -> None:
        super().__init__()
        self._cache = cache
        self._private_key: tuple[str, str] | None = None
        self._key_until = 0.0
        self._key_lock = threading.Lock()

    def check_iss_has_one_client(self, iss: str) -> bool:
        """Never: every issuer may have several client ids."""
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        """Always (see check_iss_has_one_client)."""
        return True

    def record_for_platform(self, platform_id: int) -> RegistrationRecord | None:
        """The (cached) registration of a platform row, for service calls."""
        return self._cache.for_platform(platform_id)

    def records_for_issuer(self, iss: str) -> list[RegistrationRecord]:
        """Every (cached) registration of an issuer."""
        return self._cache.for_issuer(iss)

    def find_record(self, iss: str, client_id: str | None) -> RegistrationRecord | None:
        """The registration for issuer + client_id; without a client_id, the issuer's only one."""
        records = self._cache.for_issuer(iss)
        if client_id is None:
            return records[0] if len(records) == 1 else None
        return next((r for r in records if r.client_id == client_id), None)

    def registration(self, record: RegistrationRecord) -> ToolRegistration:
        """A pylti1p3 Registration carrying the tool's current private key."""
        reg = ToolRegistration().set_record(record)
        (
            reg.set_issuer(record.issuer)
            .set_client_id(record.client_id)
            .set_auth_login_url(record.auth_login_url)
            .set_auth_token_url(record.auth_token_url)
            .set_key_set_url(record.key_set_url)
            .set_key_set(record.key_set)
        )
        if record.auth_audience:
            reg.set_auth_audience(record.auth_audience)
        key = self.signing_key()
        if key is not None:
            reg.set_tool_private_key(key[1])
            reg.set_kid(key[0])
        return reg

    def signing_key(self) -> tuple[str, str] | None:
        """(kid, private PEM) of the current key, read at most every KEY_CACHE_SECONDS.

        Every launch builds a registration; the key changes only on `lti-pl keys rotate`. A worker
        that still signs with the previous key for a few seconds is fine: retired keys stay in
        the JWKS for the grace period.
        """
        now = time.monotonic()
        with self._key_lock:
            if self._key_until > now:
                return self._private_key
        key = current_key()
        if key is None:
            return None  # not cached: the first key may be created any moment
        value = (key.kid, private_pem(key))
        with self._key_lock:
            self._private_key, self._key_until = value, now + KEY_CACHE_SECONDS
        return value

    def forget_signing_key(self) -> None:
        """Read the key again on next use (after a rotation in this process)."""
        with self._key_lock:
            self._key_until = 0.0

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        """Only when the issuer has exactly one registration."""
        record = self.find_record(iss, None)
        return self.registration(record) if record else None  # type: ignore[return-value]

    def find_registration(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        """Same as find_registration_by_issuer."""
        return self.find_registration_by_issuer(iss)

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        """The registration for issuer + client_id (None when unknown)."""
        record = self.find_record(iss, client_id)
        return self.registration(record) if record else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        """Deployment lookup without a client id: any registration of the issuer."""
        for record in self._cache.for_issuer(iss):
            if deployment_id in record.deployment_ids:
                return LtiDeployment().set_deployment_id(deployment_id)
        return None

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        """The deployment when registered under issuer + client_id."""
        record = self.find_record(iss, client_id)
        if record and deployment_id in record.deployment_ids:
            return LtiDeployment().set_deployment_id(deployment_id)
        return None
