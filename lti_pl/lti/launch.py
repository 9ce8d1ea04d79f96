"""OIDC login and launch validation: pylti1p3 checks the message, we own state, nonce and replay.

Outside this package nobody sees an id_token, a claim URI or a MessageLaunch: a valid launch
becomes a `LaunchInfo` (lti/claims.py), a refused one a `LaunchError` with a reason an admin can
act on (lti/launch_errors.py). The flow, top to bottom: `Launcher.begin_login` answers the OIDC
login; `Launcher.complete_launch` checks state and its binding (cookie or platform storage),
lets pylti1p3 check the message (lti/pylti1p3_adapter.py, signature by lti/id_token.py with keys
from lti/jwks_cache.py), consumes the nonce, and maps the claims.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from lti_pl.lti.claims import LaunchInfo, check_target_link_uri, launch_info
from lti_pl.lti.id_token import unverified_claims
from lti_pl.lti.jwks_cache import KeySetCache
from lti_pl.lti.launch_errors import LaunchError
from lti_pl.lti.pylti1p3_adapter import validate_message
from lti_pl.lti.tool_config import DatabaseToolConf
from lti_pl.stores import Store

if TYPE_CHECKING:
    from lti_pl.lti.launch_storage import NonceStore

logger = logging.getLogger(__name__)

STATE_TTL = 600  # seconds between login and launch
NONCE_TTL = 24 * 3600  # how long a used nonce is remembered (longer than any id_token lives)
# The fields the platform-storage page posts: the state and nonce the platform gave back.
STORAGE_STATE_FIELD = "lti_storage_state"
STORAGE_NONCE_FIELD = "lti_storage_nonce"


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser after an OIDC login request."""

    url: str
    state: str
    nonce: str
    storage_target: str | None
    storage_origin: str


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings (bytes: compare_digest refuses non-ASCII str)."""
    return secrets.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Launcher:
    """Login and launch for one app: the tool conf, the state store and the key cache."""

    def __init__(
        self,
        tool_conf: DatabaseToolConf,
        store: Store,
        keys: KeySetCache,
        nonces: NonceStore,
    ) -> None:
        """Create a launcher.

        Args:
            tool_conf: registrations.
            store: where login state waits for the launch.
            keys: platform public keys.
            nonces: the replay store (each id_token's nonce is accepted once).
        """
        self.tool_conf = tool_conf
        self.store = store
        self.keys = keys
        self.nonces = nonces

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
        records = self.tool_conf.records_for_issuer(issuer)
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

        Returns None when the state cookie arrived, or the storage page already ran: its form
        posts the storage fields even when the platform gave nothing back (empty), and asking
        again would send that page round in a loop.
        """
        state = params.get("state") or ""
        if has_cookie or STORAGE_STATE_FIELD in params or not state:
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
        claims = unverified_claims(id_token)
        record = self.store.pop("state:" + state)
        if not isinstance(record, dict):
            issuer, nonce = claims.get("iss"), claims.get("nonce")
            if (
                isinstance(issuer, str)
                and isinstance(nonce, str)
                and self.nonces.was_used(issuer, nonce)
            ):
                raise LaunchError("replayed")
            raise LaunchError("unknown_state")
        bound_by_cookie = state_cookie is not None and _same(state_cookie, state)
        if (
            not bound_by_cookie
            and record.get("storage")
            and STORAGE_STATE_FIELD in params
            and not params[STORAGE_STATE_FIELD]
        ):
            # The storage page ran and the platform gave nothing back: nothing binds the launch
            # to this browser, and asking the page again would only loop.
            raise LaunchError("storage_unanswered")
        bound_by_storage = (
            record.get("storage")
            and _same(params.get(STORAGE_STATE_FIELD) or "", state)
            and _same(params.get(STORAGE_NONCE_FIELD) or "", record["nonce"])
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
        reg, body = validate_message(params, self.tool_conf, self.keys)
        if not _same(str(body.get("nonce")), record["nonce"]):
            raise LaunchError("nonce_mismatch")
        if not self.nonces.first_use(reg.issuer, record["nonce"], NONCE_TTL):
            raise LaunchError("replayed")
        info = launch_info(reg, body)
        check_target_link_uri(info, launch_url)
        return info
