"""Platform public keys (JWKS) by key set URL, cached in memory and in the runtime store."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import jwt
import requests

from lti_pl.lti.launch_errors import LaunchError
from lti_pl.lti.tool_config import RegistrationRecord
from lti_pl.stores import Store

JWKS_TTL = 24 * 3600
JWKS_REFETCH_THROTTLE = 30  # at most one refetch per key set URL in this many seconds
REFETCH_POLL = 0.02  # how often a launch waiting for another's refetch looks at the store


class KeySetCache:
    """Platform JWKS by URL, as public key objects; refetched when an unknown kid arrives."""

    def __init__(self, store: Store, http: requests.Session, timeout: float) -> None:
        self._store = store
        self._http = http
        self._timeout = timeout
        self._keys: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=self._timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            raise LaunchError("jwks_unavailable", type(error).__name__) from error
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise LaunchError("jwks_unavailable", "not a JWKS")
        self._store.set("jwks:" + url, data, JWKS_TTL)
        with self._lock:
            self._keys = {k: v for k, v in self._keys.items() if k[0] != url}
        return data

    @staticmethod
    def _find(key_set: Mapping[str, Any], kid: str) -> Any:
        for jwk in key_set.get("keys", []):
            if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "RSA":
                try:
                    return jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
                except (jwt.InvalidKeyError, ValueError, TypeError, KeyError) as error:
                    raise LaunchError("bad_signature", "unusable JWK") from error
        return None

    def key_for(self, record: RegistrationRecord, kid: str) -> Any:
        """The platform's public key with this kid."""
        if record.key_set:
            key = self._find(record.key_set, kid)
            if key is None:
                raise LaunchError("unknown_key")
            return key
        url = record.key_set_url or ""
        if not url.startswith(("https://", "http://")):
            raise LaunchError("jwks_unavailable", "no key set URL")
        now = time.monotonic()
        with self._lock:
            hit = self._keys.get((url, kid))
        if hit and hit[0] > now:
            return hit[1]
        key_set = self._store.get("jwks:" + url) or self._fetch(url)
        key = self._find(key_set, kid) or self._refetched(url, kid)
        if key is None:
            raise LaunchError("unknown_key")
        with self._lock:
            self._keys[(url, kid)] = (now + 300, key)
        return key

    def _refetched(self, url: str, kid: str) -> Any:
        """The key after an unknown kid: one refetch per URL and throttle window, all processes.

        An LMS that rotated its keys (Canvas does, every month) meets a class launching at
        once: one launch refetches the key set, and the others wait for its answer (at most one
        HTTP timeout) instead of failing with "a key the LMS does not publish". Once that fetch
        is done, an unknown kid (a forged token) fails at once until the throttle ends.
        """
        marker = "jwks-refetch:" + url
        if self._store.add(marker, "fetching", JWKS_REFETCH_THROTTLE):
            try:
                return self._find(self._fetch(url), kid)
            finally:
                self._store.set(marker, "done", JWKS_REFETCH_THROTTLE)
        deadline = time.monotonic() + self._timeout
        while self._store.get(marker) == "fetching" and time.monotonic() < deadline:
            time.sleep(REFETCH_POLL)
        return self._find(self._store.get("jwks:" + url) or {}, kid)
