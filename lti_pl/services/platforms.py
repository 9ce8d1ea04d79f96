"""Registering platforms from pylti1p3's tool-config JSON, idempotently."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.models.platforms import Deployment, Platform

URL_FIELDS = ("auth_login_url", "auth_token_url")


@dataclass(frozen=True)
class RegistrationSpec:
    """One registration as read from a file."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str | None
    key_set: dict[str, Any] | None
    auth_audience: str | None
    deployment_ids: tuple[str, ...]
    is_default: bool
    name: str


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in {"http", "https"}:
        raise InvalidInputError(f"{where} must be an http(s) URL")
    return value


def parse_tool_config(data: Any) -> list[RegistrationSpec]:
    """Read `{issuer: [{client_id, auth_login_url, ...}]}` (a single object is accepted too).

    Raises:
        InvalidInputError: with a one-line reason naming the issuer and field.
    """
    if not isinstance(data, Mapping) or not data:
        raise InvalidInputError("the file must be a JSON object of issuer -> registrations")
    specs: list[RegistrationSpec] = []
    for issuer, entries in data.items():
        if not isinstance(issuer, str) or not issuer.strip():
            raise InvalidInputError("an issuer is empty")
        items = [entries] if isinstance(entries, Mapping) else entries
        if not isinstance(items, list) or not items:
            raise InvalidInputError(f"{issuer}: expected a list of registrations")
        for i, entry in enumerate(items):
            where = f"{issuer}[{i}]"
            if not isinstance(entry, Mapping):
                raise InvalidInputError(f"{where}: a registration must be an object")
            client_id = entry.get("client_id")
            if not isinstance(client_id, str) or not client_id:
                raise InvalidInputError(f"{where}: client_id is missing")
            key_set_url, key_set = entry.get("key_set_url"), entry.get("key_set")
            if key_set_url is None and key_set is None:
                raise InvalidInputError(f"{where}: key_set_url or key_set is required")
            if key_set is not None and not (
                isinstance(key_set, Mapping) and isinstance(key_set.get("keys"), list)
            ):
                raise InvalidInputError(f"{where}: key_set must be a JWKS with a keys list")
            deployments = entry.get("deployment_ids")
            if not isinstance(deployments, list) or not all(
                isinstance(d, str) and d for d in deployments
            ):
                raise InvalidInputError(f"{where}: deployment_ids must be a list of strings")
            audience = entry.get("auth_audience")
            specs.append(
                RegistrationSpec(
                    issuer=issuer,
                    client_id=client_id,
                    auth_login_url=_url(entry.get("auth_login_url"), f"{where}.auth_login_url"),
                    auth_token_url=_url(entry.get("auth_token_url"), f"{where}.auth_token_url"),
                    key_set_url=_url(key_set_url, f"{where}.key_set_url") if key_set_url else None,
                    key_set=dict(key_set) if key_set is not None else None,
                    auth_audience=audience if isinstance(audience, str) and audience else None,
                    deployment_ids=tuple(dict.fromkeys(deployments)),
                    is_default=bool(entry.get("default", False)),
                    name=str(entry.get("name", "")),
                )
            )
    return specs


def upsert_registration(spec: RegistrationSpec, *, is_sandbox: bool = False) -> Platform:
    """Create or update one registration and add its deployments (never removes any)."""
    platform = db.session.scalars(
        select(Platform).where(Platform.issuer == spec.issuer, Platform.client_id == spec.client_id)
    ).first()
    if platform is None:
        platform = Platform(issuer=spec.issuer, client_id=spec.client_id)
        db.session.add(platform)
    platform.name = spec.name or platform.name or spec.issuer
    platform.auth_login_url = spec.auth_login_url
    platform.auth_token_url = spec.auth_token_url
    platform.auth_audience = spec.auth_audience
    platform.key_set_url = spec.key_set_url
    platform.key_set = spec.key_set
    platform.is_default = spec.is_default
    platform.is_sandbox = is_sandbox
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in spec.deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
    db.session.flush()
    return platform


def import_registrations(data: Any) -> list[Platform]:
    """Parse everything first, then write: a broken file changes nothing."""
    specs = parse_tool_config(data)
    return [upsert_registration(spec) for spec in specs]


def list_platforms() -> list[Platform]:
    """Every registration, by issuer."""
    return list(db.session.scalars(select(Platform).order_by(Platform.issuer, Platform.client_id)))


# Built once: pages read it often (their frame-ancestors), and a statement keeps its cache key.
_VERSION = select(func.count(Platform.id), func.max(Platform.updated_at))


def registrations_version() -> tuple[Any, ...]:
    """A cheap fingerprint of the registrations (how many platforms, the latest change)."""
    return tuple(db.session.execute(_VERSION).one())


def platform_addresses() -> list[tuple[int, str, str]]:
    """(platform id, issuer, OIDC login URL) of every registered platform."""
    query = select(Platform.id, Platform.issuer, Platform.auth_login_url)
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def platform_of_course(course_id: int) -> int | None:
    """The platform a course belongs to (None for an unknown course)."""
    course = db.session.get(Course, course_id)  # often in the session already
    return course.platform_id if course is not None else None
