"""The tool's keys as the sandbox trusts them, and OAuth2 client-credentials tokens."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_pl.sandbox.protocol import (
    CLIENT_ID,
    JWKS_CACHE_SECONDS,
    SCOPES,
    TOKEN_TTL,
    SandboxError,
    now_iso,
)

logger = logging.getLogger(__name__)


class ToolAuth:
    """The tool's JWKS, its signed JWTs and the bearer tokens (part of SandboxPlatform)."""

    def _http_get_json(self, url: str) -> Any:
        response = requests.get(url, timeout=self.http_timeout)
        response.raise_for_status()
        return response.json()

    def refresh_tool_keys(self) -> None:
        """Fetch the tool's public keys from its /lti/jwks.json (kept for JWKS_CACHE_SECONDS)."""
        key_set = self._fetch(self.tool_url + "/lti/jwks.json")
        keys = {k["kid"]: k for k in key_set.get("keys", []) if isinstance(k, dict) and "kid" in k}
        with self.lock:
            self._tool_keys = keys
            self._tool_keys_at = time.monotonic()

    def warm_tool_keys(self) -> None:
        """Fetch the tool's keys in the background if they are not cached yet (before a launch).

        Like a real LMS, the sandbox caches the tool's JWKS: it then does not call back into the
        tool while the tool waits on its own token request.
        """
        if self._tool_keys:
            return

        def fetch() -> None:
            try:
                self.refresh_tool_keys()
            except (requests.RequestException, ValueError):
                logger.warning("sandbox could not fetch the tool's JWKS yet")

        threading.Thread(target=fetch, name="sandbox-jwks", daemon=True).start()

    def _tool_key(self, kid: str) -> dict[str, Any]:
        with self.lock:
            fresh = time.monotonic() - self._tool_keys_at < JWKS_CACHE_SECONDS
            jwk = self._tool_keys.get(kid) if fresh else None
        if jwk is None:
            self.refresh_tool_keys()  # a new or rotated key: ask the tool again
            with self.lock:
                jwk = self._tool_keys.get(kid)
        if jwk is None:
            raise StopIteration
        return jwk  # type: ignore[no-any-return]

    def verify_tool_jwt(self, token: str, audience: str) -> dict[str, Any]:
        """Verify a JWT the tool signed, with keys from the tool's /lti/jwks.json (cached).

        Raises:
            SandboxError: unknown key, bad signature, wrong audience or expired.
        """
        try:
            kid = str(jwt.get_unverified_header(token).get("kid"))
            key = jwt.algorithms.RSAAlgorithm.from_jwk(self._tool_key(kid))
            if not isinstance(key, rsa.RSAPublicKey):
                raise SandboxError("the tool published a private key", 401)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=["RS256"], audience=audience, leeway=60
            )
        except StopIteration as error:
            raise SandboxError("signed with a key the tool does not publish", 401) from error
        except (jwt.InvalidTokenError, requests.RequestException, ValueError) as error:
            raise SandboxError(f"invalid tool JWT ({type(error).__name__})", 401) from error
        return claims

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        """The client-credentials grant with a JWT client assertion (LTI security framework)."""
        record: dict[str, Any] = {"at": now_iso(), "ok": False, "scopes": []}
        try:
            if form.get("grant_type") != "client_credentials" or form.get(
                "client_assertion_type"
            ) != ("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
                raise SandboxError("unsupported_grant_type")
            claims = self.verify_tool_jwt(form.get("client_assertion", ""), self.url + "/token")
            if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
                raise SandboxError("invalid_client", 401)
            allowed = set(SCOPES.values())
            scopes = sorted(s for s in form.get("scope", "").split() if s in allowed)
            access = uuid.uuid4().hex
            with self.lock:
                self.tokens[access] = {"scopes": set(scopes), "expires": time.time() + TOKEN_TTL}
            record.update(ok=True, scopes=scopes)
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
                "scope": " ".join(scopes),
            }
        finally:
            with self.lock:
                self.state["token_requests"] = [*self.state["token_requests"][-49:], record]

    def check_bearer(self, header: str, *scopes: str) -> None:
        """Refuse a service call without a live token carrying one of the scopes."""
        grant = self.tokens.get(header.removeprefix("Bearer ").strip())
        if not grant or grant["expires"] < time.time():
            raise SandboxError("invalid or expired access token", 401)
        if not grant["scopes"] & {SCOPES[s] for s in scopes}:
            raise SandboxError("the access token lacks the scope for this service", 403)
