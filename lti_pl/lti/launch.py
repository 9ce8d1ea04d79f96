"""OIDC login and launch validation: pylti1p3 checks the message, we own state, nonce and replay.

Outside this package nobody sees an id_token, a claim URI or a MessageLaunch: a valid launch
becomes a `LaunchInfo`, a refused one a `LaunchError` with a reason an admin can act on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from pylti1p3.exception import LtiException, OIDCException, ToolConfException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.request import Request

from lti_pl.lti.roles import CourseRole, course_role
from lti_pl.lti.tool_config import DatabaseToolConf, RegistrationRecord
from lti_pl.stores import Store

logger = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
STORAGE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/lti1p3_platform_storage"  # not standard

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})

STATE_TTL = 600  # seconds between login and launch
NONCE_TTL = 24 * 3600  # how long a used nonce is remembered (longer than any id_token lives)
JWKS_TTL = 24 * 3600
JWKS_REFETCH_THROTTLE = 30  # at most one refetch per key set URL in this many seconds
LEEWAY = 60  # seconds of clock skew accepted on exp / iat

# Reasons: code -> (what went wrong, what an admin can do).
REASONS: dict[str, tuple[str, str]] = {
    "missing_parameter": (
        "The LMS did not send everything an LTI 1.3 login needs.",
        "Check that the tool is configured as LTI 1.3 with the login URL …/lti/login.",
    ),
    "unknown_issuer": (
        "This LMS (issuer) is not registered with the tool.",
        "An admin registers it with `lti-pl platforms import FILE` or Dynamic Registration.",
    ),
    "unknown_client": (
        "This client ID is not registered for this LMS.",
        "Add the developer key's client ID with `lti-pl platforms import FILE`.",
    ),
    "ambiguous_client": (
        "This LMS has several registrations and did not say which client ID it uses.",
        "Configure the LMS to send client_id on login, or keep one registration per issuer.",
    ),
    "bad_target": (
        "The launch asked for an address outside this tool.",
        "Check the target link URI in the LMS configuration (it must be this tool's URL).",
    ),
    "missing_target": (
        "The launch did not say which page of the tool to open (no target_link_uri).",
        "The LMS must send the target link URI (LTI 1.3 core, §5.4): the tool's …/lti/launch URL.",
    ),
    "missing_token": (
        "The launch arrived without an id_token or state.",
        "Open the tool again from your course; if it persists the LMS is misconfigured.",
    ),
    "unknown_state": (
        "This launch expired or was already used.",
        "Open the tool again from your course (a launch is valid for 10 minutes, once).",
    ),
    "replayed": (
        "This launch was already used once and cannot be used again (replayed id_token).",
        "Open the tool again from your course. Repeated replays may mean an attack.",
    ),
    "state_mismatch": (
        "This launch was started in another browser or its cookie was blocked.",
        "Open the tool again; if your browser blocks cookies, allow them for this site.",
    ),
    "issuer_mismatch": (
        "The id_token comes from another LMS than the one that started this login.",
        "Open the tool again from your course.",
    ),
    "nonce_mismatch": (
        "The id_token does not belong to this login (nonce mismatch).",
        "Open the tool again from your course.",
    ),
    "malformed_token": (
        "The id_token is not a well-formed signed JWT.",
        "The LMS sent something that is not an LTI 1.3 id_token.",
    ),
    "bad_signature": (
        "The id_token's signature could not be verified with the LMS's public keys.",
        "Check the registration's key set URL (JWKS) for this LMS.",
    ),
    "unknown_key": (
        "The id_token was signed with a key the LMS does not publish.",
        "Check the registration's key set URL (JWKS); the LMS may have rotated keys.",
    ),
    "jwks_unavailable": (
        "The LMS's public keys could not be fetched.",
        "Check that the key set URL is reachable from the tool's server.",
    ),
    "expired": (
        "The id_token has expired or is not valid yet.",
        "Open the tool again; if it persists, check the clocks of the LMS and tool servers.",
    ),
    "wrong_audience": (
        "The id_token was issued for another tool (audience / azp).",
        "Check the client ID registered for this LMS.",
    ),
    "unknown_deployment": (
        "This deployment is not registered.",
        "Run `lti-pl platforms import FILE` with this deployment ID in deployment_ids.",
    ),
    "bad_message": (
        "The LTI message is missing required claims or has an unsupported type or version.",
        "The LMS must send an LTI 1.3.0 resource link or deep linking request.",
    ),
    "no_role": (
        "Your role in this course does not give access to this tool.",
        "Teachers, students and observers can use the tool; ask your teacher.",
    ),
}


class LaunchError(Exception):
    """A refused login or launch.

    Args:
        code: a key of REASONS.
        detail: extra text for the log (never a token or personal data).
    """

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.message, self.hint = REASONS[code]
        self.detail = detail
        self.status = 403 if code == "no_role" else 400
        super().__init__(f"{code}: {self.message}")


@dataclass(frozen=True)
class LaunchInfo:
    """A validated launch, in our words. No token inside."""

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    subject: str
    roles: tuple[str, ...]
    course_role: CourseRole | None
    context_id: str
    context_title: str = ""
    context_label: str = ""
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    resource_link_id: str = ""
    resource_link_title: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)
    line_items_url: str | None = None
    line_item_url: str | None = None
    ags_scopes: tuple[str, ...] = ()
    memberships_url: str | None = None
    deep_linking: Mapping[str, Any] | None = None
    mentor_of: tuple[str, ...] = ()
    target_link_uri: str = ""
    deployment_row_id: int | None = None  # the Deployment row, when the registration knew it


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser after an OIDC login request."""

    url: str
    state: str
    nonce: str
    storage_target: str | None
    storage_origin: str


class _DictRequest(Request):
    """pylti1p3 request over the launch form; cookies are checked by us."""

    def __init__(self, params: Mapping[str, str]) -> None:
        super().__init__()
        self._params = params

    @property
    def session(self) -> dict[str, Any]:
        """Unused: state and nonce live in our store."""
        return {}

    def get_param(self, key: str) -> str | None:
        """A form parameter."""
        return self._params.get(key)

    def get_cookie(self, key: str) -> None:
        """Unused."""
        return None

    def is_secure(self) -> bool:
        """Unused."""
        return True


class _NoSession:
    """pylti1p3 insists on a session service; ours keeps nothing there."""

    def set_data_storage(self, storage: Any) -> None:
        pass


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
        key = self._find(key_set, kid)
        if key is None and self._store.add("jwks-refetch:" + url, 1, JWKS_REFETCH_THROTTLE):
            key = self._find(self._fetch(url), kid)
        if key is None:
            raise LaunchError("unknown_key")
        with self._lock:
            self._keys[(url, kid)] = (now + 300, key)
        return key


class _Launch(MessageLaunch):  # type: ignore[type-arg]
    """pylti1p3's message checks (registration, deployment, message claims); signature by us."""

    def __init__(
        self, params: Mapping[str, str], tool_conf: DatabaseToolConf, keys: KeySetCache
    ) -> None:
        super().__init__(
            _DictRequest(params), tool_conf, session_service=_NoSession(), cookie_service=object()
        )
        self._keys = keys

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)  # type: ignore[no-any-return]

    def validate_jwt_signature(self) -> _Launch:
        """RS256 only, with aud / azp, iss, exp and iat checked (pylti1p3 skips aud)."""
        header = self._jwt.get("header", {})
        if header.get("alg") != "RS256":
            raise LaunchError("bad_signature", "alg is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchError("unknown_key", "no kid")
        record = self._registration.record
        key = self._keys.key_for(record, kid)
        try:
            jwt.decode(
                self._get_id_token(),
                key,
                algorithms=["RS256"],
                audience=record.client_id,
                issuer=record.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as error:
            raise LaunchError("expired") from error
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
            raise LaunchError("wrong_audience") from error
        except jwt.MissingRequiredClaimError as error:
            raise LaunchError("bad_message", f"missing {error.claim}") from error
        except jwt.InvalidTokenError as error:
            raise LaunchError("bad_signature", type(error).__name__) from error
        body = self._jwt["body"]
        aud = body.get("aud")
        azp = body.get("azp")
        if (isinstance(aud, list) and len(aud) > 1 and azp is None) or (
            azp is not None and azp != record.client_id
        ):
            raise LaunchError("wrong_audience", "azp")
        return self

    def validate_all(self) -> None:
        """Run the checks in order; state and nonce were checked before."""
        self._validated = True
        self.validate_jwt_format()
        self.validate_registration()
        self.validate_jwt_signature()
        self.validate_deployment()
        self.validate_message()

    def body(self) -> dict[str, Any]:
        """The verified claims."""
        return self._jwt["body"]  # type: ignore[no-any-return]

    def record(self) -> RegistrationRecord:
        """The registration that matched."""
        return self._registration.record  # type: ignore[no-any-return]


def _unverified_claims(id_token: str) -> dict[str, Any]:
    """The body of a JWT without checking it (only to choose a registration or a reason)."""
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError) as error:
        raise LaunchError("malformed_token") from error
    if not isinstance(data, dict):
        raise LaunchError("malformed_token")
    return data


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings (bytes: compare_digest refuses non-ASCII str)."""
    return secrets.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def nonce_key(issuer: str, nonce: str) -> str:
    """The replay-store key of a nonce (hashed: nonces are not logged or stored in clear)."""
    return "nonce:" + hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()


class Launcher:
    """Login and launch for one app: the tool conf, the state store and the key cache."""

    def __init__(
        self,
        tool_conf: DatabaseToolConf,
        store: Store,
        keys: KeySetCache,
        nonce_seen: Any,
    ) -> None:
        """Create a launcher.

        Args:
            tool_conf: registrations.
            store: where login state waits for the launch.
            keys: platform public keys.
            nonce_seen: callable(issuer, nonce, ttl) -> bool, True when the nonce was new.
        """
        self.tool_conf = tool_conf
        self.store = store
        self.keys = keys
        self._nonce_seen = nonce_seen

    def begin_login(
        self, params: Mapping[str, str], launch_url: str, base_url: str
    ) -> LoginRedirect:
        """Answer an OIDC third-party initiated login.

        Args:
            params: the login request's parameters (GET or POST).
            launch_url: our redirect_uri.
            base_url: our public base URL; target_link_uri must start with it.
        """
        issuer = params.get("iss") or ""
        login_hint = params.get("login_hint") or ""
        target = params.get("target_link_uri") or ""
        if not issuer or not login_hint or not target:
            raise LaunchError("missing_parameter", "iss, login_hint and target_link_uri")
        if _origin(target) != _origin(base_url):
            raise LaunchError("bad_target")
        client_id = params.get("client_id") or None
        records = self.tool_conf._cache.for_issuer(issuer)
        if not records:
            raise LaunchError("unknown_issuer")
        record = self.tool_conf.find_record(issuer, client_id)
        if record is None:
            raise LaunchError("unknown_client" if client_id else "ambiguous_client")
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        storage_target = params.get("lti_storage_target") or None
        self.store.set(
            "state:" + state,
            {
                "nonce": nonce,
                "issuer": issuer,
                "client_id": record.client_id,
                "storage": bool(storage_target),
                "target": storage_target or "",
                "origin": _origin(record.auth_login_url),
            },
            STATE_TTL,
        )
        auth_params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": record.client_id,
            "redirect_uri": launch_url,
            "state": state,
            "nonce": nonce,
            "login_hint": login_hint,
        }
        if params.get("lti_message_hint"):
            auth_params["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if "?" in record.auth_login_url else "?"
        return LoginRedirect(
            url=record.auth_login_url + separator + urlencode(auth_params),
            state=state,
            nonce=nonce,
            storage_target=storage_target,
            storage_origin=_origin(record.auth_login_url),
        )

    def pending_storage_check(
        self, params: Mapping[str, str], has_cookie: bool
    ) -> dict[str, Any] | None:
        """The login record when the browser must prove the state from platform storage first.

        Returns None when the state cookie arrived, or the storage values were already posted.
        """
        state = params.get("state") or ""
        if has_cookie or params.get("lti_storage_state") or not state:
            return None
        record = self.store.get("state:" + state)
        if not isinstance(record, dict) or not record.get("storage"):
            return None
        return record

    def complete_launch(
        self,
        params: Mapping[str, str],
        state_cookie: str | None,
        *,
        launch_url: str,
        origin: str | None = None,
    ) -> LaunchInfo:
        """Validate a launch (the POST to redirect_uri) and consume its state and nonce.

        Args:
            params: the form: id_token, state, and lti_storage_state / lti_storage_nonce when the
                browser proved its state from platform storage instead of a cookie.
            state_cookie: the value of this state's cookie, when the browser sent it.
            launch_url: our launch URL; the id_token's target_link_uri must name it.
            origin: the POST's `Origin` header, when a login without platform storage lost its
                cookie (`lti.launch_handoff`): the page that posted must be the platform's.
        """
        id_token = params.get("id_token") or ""
        state = params.get("state") or ""
        if not id_token or not state:
            raise LaunchError("missing_token")
        claims = _unverified_claims(id_token)
        record = self.store.pop("state:" + state)
        if not isinstance(record, dict):
            issuer, nonce = claims.get("iss"), claims.get("nonce")
            if (
                isinstance(issuer, str)
                and isinstance(nonce, str)
                and self.store.get(nonce_key(issuer, nonce))
            ):
                raise LaunchError("replayed")
            raise LaunchError("unknown_state")
        bound_by_cookie = state_cookie is not None and _same(state_cookie, state)
        bound_by_storage = (
            record.get("storage")
            and _same(params.get("lti_storage_state") or "", state)
            and _same(params.get("lti_storage_nonce") or "", record["nonce"])
        )
        bound_by_origin = (
            origin is not None
            and not record.get("storage")
            and _same(origin, record.get("origin") or "")
        )
        if not (bound_by_cookie or bound_by_storage or bound_by_origin):
            raise LaunchError("state_mismatch")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != record["issuer"]:
            raise LaunchError("issuer_mismatch")
        if record["client_id"] not in audiences:
            raise LaunchError("wrong_audience")
        launch = _Launch(params, self.tool_conf, self.keys)
        try:
            launch.validate_all()
        except LaunchError:
            raise
        except (LtiException, OIDCException, ToolConfException) as error:
            raise LaunchError(_reason_for(str(error)), type(error).__name__) from error
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            # pylti1p3 lets malformed claims escape as plain exceptions: a bad message, never a 500.
            raise LaunchError("bad_message", type(error).__name__) from error
        body = launch.body()
        if not _same(str(body.get("nonce")), record["nonce"]):
            raise LaunchError("nonce_mismatch")
        reg = launch.record()
        if not self._nonce_seen(reg.issuer, record["nonce"], NONCE_TTL):
            raise LaunchError("replayed")
        self.store.set(nonce_key(reg.issuer, record["nonce"]), 1, NONCE_TTL)
        info = launch_info(reg, body)
        check_target_link_uri(info, launch_url)
        return info


def _launch_address(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path) of a URL, compared without query, fragment or final slash."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def check_target_link_uri(info: LaunchInfo, launch_url: str) -> None:
    """The target_link_uri claim names our launch URL (required on a resource-link launch).

    A query string is allowed (a platform may add one); another path or host is not.

    Raises:
        LaunchError: missing_target when a resource-link launch has none, bad_target when it
            names another address.
    """
    target = info.target_link_uri
    if not target:
        if info.message_type == RESOURCE_LINK_REQUEST:
            raise LaunchError("missing_target")
        return
    if _launch_address(target) != _launch_address(launch_url):
        raise LaunchError("bad_target", "target_link_uri")


def _reason_for(message: str) -> str:
    text = message.lower()
    if "deployment" in text:
        return "unknown_deployment"
    if "registration" in text or "client id" in text:
        return "unknown_client"
    if "jwt" in text and ("part" in text or "decode" in text or "format" in text):
        return "malformed_token"
    return "bad_message"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def launch_info(record: RegistrationRecord, body: Mapping[str, Any]) -> LaunchInfo:
    """Our LaunchInfo from verified claims; odd claim shapes are read as absent, never raised."""
    message_type = _text(body.get(CLAIM + "message_type"))
    if message_type not in SUPPORTED_MESSAGES:
        raise LaunchError("bad_message", "message type")
    if _text(body.get(CLAIM + "version")) != "1.3.0":
        raise LaunchError("bad_message", "version")
    subject = _text(body.get("sub"))
    if not subject:
        raise LaunchError("bad_message", "anonymous launch")
    raw_roles = body.get(CLAIM + "roles")
    roles = tuple(r for r in raw_roles if isinstance(r, str)) if isinstance(raw_roles, list) else ()
    context = _mapping(body.get(CLAIM + "context"))
    context_id = _text(context.get("id"))
    if not context_id:
        raise LaunchError("bad_message", "no context")
    link = _mapping(body.get(CLAIM + "resource_link"))
    ags = _mapping(body.get(AGS_CLAIM))
    nrps = _mapping(body.get(NRPS_CLAIM))
    custom = {str(k): str(v) for k, v in _mapping(body.get(CLAIM + "custom")).items()}
    scopes = ags.get("scope")
    mentor = body.get(CLAIM + "role_scope_mentor")
    email = _text(body.get("email")) or None
    dl = body.get(DL_CLAIM)
    return LaunchInfo(
        platform_id=record.platform_id,
        issuer=record.issuer,
        client_id=record.client_id,
        deployment_id=_text(body.get(CLAIM + "deployment_id")),
        deployment_row_id=record.deployment_rows.get(_text(body.get(CLAIM + "deployment_id"))),
        message_type=message_type,
        subject=subject[:255],
        roles=roles,
        course_role=course_role(roles),
        context_id=context_id[:255],
        context_title=_text(context.get("title"))[:500],
        context_label=_text(context.get("label"))[:255],
        name=_text(body.get("name"))[:255],
        given_name=_text(body.get("given_name"))[:255],
        family_name=_text(body.get("family_name"))[:255],
        email=email[:320] if email else None,
        resource_link_id=_text(link.get("id"))[:255],
        resource_link_title=_text(link.get("title"))[:500],
        custom=custom,
        line_items_url=_text(ags.get("lineitems")) or None,
        line_item_url=_text(ags.get("lineitem")) or None,
        ags_scopes=tuple(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else (),
        memberships_url=_text(nrps.get("context_memberships_url")) or None,
        deep_linking=dict(dl)
        if message_type == DEEP_LINKING_REQUEST and isinstance(dl, dict)
        else None,
        mentor_of=tuple(m for m in mentor if isinstance(m, str))
        if isinstance(mentor, list)
        else (),
        target_link_uri=_text(body.get(CLAIM + "target_link_uri")),
    )
