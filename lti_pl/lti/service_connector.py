"""Access tokens for LTI Advantage services, shared by every process through the runtime store.

pylti1p3's ServiceConnector builds and signs the client assertion (RFC 7523) with the tool's
current key; it caches nothing itself. Ours caches one token per (issuer, client_id, token URL,
scope set) in the store (memory or Redis) until a minute before `expires_in`, so a thousand scores
cost one token request, not a thousand.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from lti_pl.lti.pylti1p3_adapter import connector_registration
from lti_pl.lti.tool_config import ToolRegistration
from lti_pl.stores import Store

logger = logging.getLogger(__name__)

TOKEN_EARLY_REFRESH = 60  # seconds before expires_in that a cached token is dropped
DEFAULT_EXPIRES_IN = 300  # when the platform does not say

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^,;]+)*)")


class TimeoutSession(requests.Session):
    """A requests session with a default timeout (pylti1p3 posts the token request without one)."""

    def __init__(self, timeout: float, user_agent: str = "lti_pl") -> None:
        super().__init__()
        self.default_timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Send with the default timeout unless one is given."""
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


class ServiceError(Exception):
    """A failed service call, classified for the retry policy.

    Attributes:
        kind: "transient" (retry later), "conflict" (409), "permanent" (do not retry).
        status: the HTTP status, None for transport errors.
        retry_after: seconds the platform asked us to wait (Retry-After), if any.
        ambiguous: True when the request may have reached the platform (timeout, reset).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class ServiceResponse:
    """A successful service answer."""

    status: int
    body: Any
    headers: Mapping[str, str]
    next_url: str | None
    links: Mapping[str, str]


def parse_link_header(value: str) -> dict[str, str]:
    """Relations of an RFC 8288 Link header: rel -> URL (rel quoted or not, URL kept as is)."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value.replace("\n", " ")):
        url, params = match.group(1).strip(), match.group(2)
        for param in params.split(";"):
            name, _, raw = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in raw.strip().strip('"').split():
                    links.setdefault(rel.lower(), url)
    return links


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_status(status: int) -> str:
    """The retry kind of an HTTP error status."""
    if status in (408, 429) or status >= 500:
        return "transient"
    if status == 409:
        return "conflict"
    return "permanent"


class LtiServiceConnector(ServiceConnector):
    """pylti1p3's connector with a shared, expiry-aware token cache and timeouts.

    Args:
        registration: the platform registration, carrying the tool's current key and kid.
        store: the runtime store shared by processes (memory or Redis).
        timeout: seconds for every HTTP call (connect and read).
        session: an HTTP session to reuse (one is made with the timeout otherwise).
    """

    def __init__(
        self,
        registration: ToolRegistration,
        store: Store,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(registration, session or TimeoutSession(timeout))
        self._store = store
        self._timeout = timeout
        self.token_requests = 0  # counted for the benchmark and tests

    # pylti1p3 hooks ----------------------------------------------------------------
    def _scope_key(self, scopes: Iterable[str]) -> str:
        reg = connector_registration(self)
        parts = [
            reg.get_issuer() or "",
            reg.get_client_id() or "",
            reg.get_auth_token_url() or "",
            *sorted(set(scopes)),
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return "ags-token:" + digest

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        value = self._store.get(scope_key)
        return value if isinstance(value, str) and value else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        try:
            lifetime = float(expires_in) if expires_in else DEFAULT_EXPIRES_IN
        except (TypeError, ValueError):
            lifetime = DEFAULT_EXPIRES_IN
        ttl = int(lifetime - TOKEN_EARLY_REFRESH)
        if ttl > 0:
            self._store.set(scope_key, access_token, ttl)

    def forget_token(self, scopes: Sequence[str]) -> None:
        """Drop the cached token for these scopes (after the platform refused it)."""
        self._store.delete(self._scope_key(scopes))

    def get_access_token(self, scopes: Sequence[str]) -> str:
        """A token for the scopes: cached, else requested with a signed client assertion.

        Raises:
            ServiceError: the token endpoint failed (transient) or refused the tool (permanent).
        """
        cached = self._get_cached_access_token(self._scope_key(sorted(scopes)))
        if cached:
            return cached
        self.token_requests += 1
        try:
            token: str = super().get_access_token(scopes)
        except LtiServiceException as error:
            status = getattr(error, "response", None)
            code = getattr(status, "status_code", None)
            kind = classify_status(code) if isinstance(code, int) else "transient"
            if kind == "conflict":
                kind = "transient"
            raise ServiceError(
                f"The LMS refused an access token (HTTP {code}).", kind=kind, status=code
            ) from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise ServiceError(
                "The LMS token endpoint did not answer.", kind="transient"
            ) from error
        except (KeyError, ValueError, TypeError) as error:
            raise ServiceError(
                "The LMS token endpoint gave an unreadable answer.", kind="transient"
            ) from error
        logger.info("access token issued platform=%s", self._platform_id())
        return token

    def _platform_id(self) -> int | None:
        reg = connector_registration(self)
        return reg.record.platform_id if isinstance(reg, ToolRegistration) else None

    # requests ------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        scopes: Sequence[str],
        *,
        json_body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        params: Mapping[str, str] | None = None,
    ) -> ServiceResponse:
        """Call a service with a bearer token; a refused token is renewed once.

        Raises:
            ServiceError: classified failure (see `classify_status`).
        """
        import json

        data = None if json_body is None else json.dumps(json_body)
        for attempt in (1, 2):
            token = self.get_access_token(scopes)
            headers = {"Authorization": "Bearer " + token, "Accept": accept}
            if data is not None:
                headers["Content-Type"] = content_type
            try:
                response = self._requests_session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    params=params,
                    timeout=self._timeout,
                )
            except requests.Timeout as error:
                raise ServiceError(
                    "The LMS did not answer in time.", kind="transient", ambiguous=True
                ) from error
            except requests.ConnectionError as error:
                raise ServiceError(
                    "The connection to the LMS failed.", kind="transient", ambiguous=True
                ) from error
            if response.status_code == 401 and attempt == 1:
                self.forget_token(scopes)
                continue
            if not response.ok:
                kind = classify_status(response.status_code)
                raise ServiceError(
                    _reason(response),
                    kind=kind,
                    status=response.status_code,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            links = parse_link_header(response.headers.get("Link", ""))
            body: Any = None
            if response.content:
                try:
                    body = response.json()
                except ValueError:
                    body = response.text
            return ServiceResponse(
                response.status_code, body, response.headers, links.get("next"), links
            )
        raise ServiceError("The LMS refused the tool's access token.", kind="permanent", status=401)

    def paged(
        self,
        url: str,
        scopes: Sequence[str],
        *,
        accept: str,
        params: Mapping[str, str] | None = None,
    ) -> Iterable[ServiceResponse]:
        """Every page, following Link rel="next" (the URL exactly as given)."""
        next_url: str | None = url
        first = True
        seen: set[str] = set()
        while next_url and next_url not in seen:
            seen.add(next_url)
            page = self.request(
                "GET", next_url, scopes, accept=accept, params=params if first else None
            )
            first = False
            yield page
            next_url = page.next_url


def _reason(response: requests.Response) -> str:
    """A short, safe reason for a teacher (status and the platform's error code, no body dump)."""
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "reason"):
            if isinstance(body.get(key), str):
                detail = body[key][:200]
                break
    elif response.text and len(response.text) < 200:
        detail = response.text.strip()
    status = response.status_code
    known = {
        400: "The LMS rejected the score as invalid",
        401: "The LMS refused the tool's access token",
        403: "The tool is not allowed to send grades to this course (check the LTI scopes)",
        404: "The gradebook column no longer exists in the LMS",
        409: "The LMS already holds a newer score",
        415: "The LMS refused the content type",
    }
    text = known.get(status, f"The LMS answered HTTP {status}")
    return f"{text} (HTTP {status}{': ' + detail if detail else ''})."
