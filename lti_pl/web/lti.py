"""LTI endpoints whose URLs are a contract (admins paste them into LMS forms)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from lti_pl.database import end_writes
from lti_pl.extensions import csrf
from lti_pl.jobs import hooks as jobs
from lti_pl.jobs.line_item_discovery import discover_line_item
from lti_pl.jobs.roster_sync import sync_roster
from lti_pl.lti import canvas, deep_linking, dynamic_registration, keys, launch_handoff
from lti_pl.lti.claims import DEEP_LINKING_REQUEST, LaunchInfo
from lti_pl.lti.dynamic_registration import SCOPES as REGISTRATION_SCOPES
from lti_pl.lti.dynamic_registration import RegistrationError, ToolUrls
from lti_pl.lti.launch import STORAGE_STATE_FIELD
from lti_pl.lti.launch_errors import LaunchError
from lti_pl.lti.roles import CourseRole
from lti_pl.lti.runtime import LtiRuntime
from lti_pl.models.base import utcnow
from lti_pl.outbound import UrlPolicy
from lti_pl.services import grade_passback, launches, registration
from lti_pl.web import start_new_session, use_url_session
from lti_pl.web.access import remember_launch

logger = logging.getLogger(__name__)
bp = Blueprint("lti", __name__, url_prefix="/lti")
STATE_COOKIE_PREFIX = "lti_pl_state_"


def runtime() -> LtiRuntime:
    """This app's LTI runtime."""
    return current_app.extensions["lti_pl"]  # type: ignore[no-any-return]


def base_url() -> str:
    """The tool's public base URL (configured, else from the request behind ProxyFix)."""
    return current_app.config["LTI_PL_BASE_URL"] or request.host_url.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the public base."""
    return base_url() + url_for(endpoint, **values)


def _params() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {k: v for k, v in source.items() if isinstance(v, str)}


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> ResponseReturnValue:
    """OIDC third-party initiated login: remember state + nonce, send the browser to the LMS."""
    result = runtime().launcher.begin_login(_params(), external_url("lti.launch"), base_url())
    if result.storage_target:
        response = make_response(render_template("lti/platform_storage_login.html", login=result))
    else:
        response = make_response(redirect(result.url, code=302))
    response.set_cookie(
        STATE_COOKIE_PREFIX + result.state,
        result.state,
        max_age=600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="None" if current_app.config["SESSION_COOKIE_SECURE"] else "Lax",
        partitioned=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.post("/launch")
@csrf.exempt
def launch() -> ResponseReturnValue:
    """The redirect_uri: validate the id_token, provision, and open the right page."""
    params = _params()
    state = params.get("state", "")
    cookie = request.cookies.get(STATE_COOKIE_PREFIX + state) if state else None
    launcher = runtime().launcher
    pending = launcher.pending_storage_check(params, has_cookie=cookie is not None)
    if pending is not None:
        # No cookie came back (blocked in the iframe): prove the state from platform storage.
        return render_template(
            "lti/platform_storage_launch.html",
            id_token=params.get("id_token", ""),
            state=state,
            nonce=pending["nonce"],
            storage_origin=pending.get("origin", ""),
            storage_target=pending.get("target", ""),
        )
    # No cookie and no platform storage (Moodle): bound by the POST's Origin, then handed off.
    lost_cookie = cookie is None and STORAGE_STATE_FIELD not in params
    info = launcher.complete_launch(
        params,
        cookie,
        launch_url=external_url("lti.launch"),
        origin=request.headers.get("Origin", "") if lost_cookie else None,
    )
    if lost_cookie:
        return _offer_handoff(info)
    response = _finish_launch(info, url_session=cookie is None)
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    # Same attributes as when it was set: a Partitioned cookie is only removed as Partitioned.
    response.delete_cookie(
        STATE_COOKIE_PREFIX + state,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )
    return response


def _offer_handoff(info: LaunchInfo) -> ResponseReturnValue:
    """The browser refused our cookie in the LMS iframe: continue with storage access or a window.

    The launch is validated and its nonce used; it waits (`lti.launch_handoff`) for the person
    to press "Continue" (Storage Access API) or "Open lti_pl in a new window".
    """
    if info.course_role is None:
        raise LaunchError("no_role", "no known role in the launch")
    token = launch_handoff.hand_off(runtime().store, info)
    logger.info("launch handed off: no cookie in the LMS frame platform=%s", info.platform_id)
    response = make_response(
        render_template(
            "lti/launch_handoff.html",
            token=token,
            name=info.name or info.given_name,
            course_title=info.context_title,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/launch/continue")
@csrf.exempt  # no session exists yet; the single-use handoff key is the secret
def continue_launch() -> ResponseReturnValue:
    """A handed-off launch, now where the tool may keep a cookie (storage access or a window).

    Only the tool's own handoff page may post the key: a page of another site that got hold of
    someone's key must not sign a victim into that account (login CSRF). Browsers name the
    requesting site in Sec-Fetch-Site even where `Referrer-Policy: no-referrer` blanks Origin.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        raise LaunchError("unknown_state", "handoff posted from another site")
    info = launch_handoff.take(runtime().store, request.form.get("handoff", ""))
    if info is None:
        raise LaunchError("unknown_state", "handoff")
    return _finish_launch(info, url_session=False)


def _finish_launch(info: LaunchInfo, *, url_session: bool) -> Response:
    """Provision, start the session and answer with the page the launch opens."""
    if info.course_role is None:
        raise LaunchError("no_role", "no known role in the launch")
    outcome = launches.provision(info, utcnow())
    session.permanent = True
    start_new_session(outcome.person_id)  # a new id and working day; another person: nothing kept
    remember_launch(outcome.course_id, outcome.enrollment_id, outcome.role, outcome.enrollment)
    if url_session:
        use_url_session()
    logger.info(
        "launch ok course=%s enrollment=%s role=%s message=%s",
        outcome.course_id,
        outcome.enrollment_id,
        outcome.role,
        info.message_type,
    )
    if info.message_type == DEEP_LINKING_REQUEST:
        if outcome.role is not CourseRole.TEACHER:
            raise LaunchError("no_role", "deep linking by a non-teacher")
        session["deep_link"] = deep_linking.request_record(
            outcome.course_id, info.platform_id, info.deployment_id, info.deep_linking or {}
        )
        destination = url_for("instructor.deep_link_picker", course_id=outcome.course_id)
    else:
        endpoint = "instructor.home" if outcome.role is CourseRole.TEACHER else "student.home"
        destination = url_for(endpoint, course_id=outcome.course_id, link=outcome.resource_link_id)
    unset = _link_grade_setup_page(outcome)
    if unset is not None:
        destination = unset
    _after_launch_hooks(outcome)
    if info.message_type == DEEP_LINKING_REQUEST or unset or not _launch_renders_home():
        return make_response(redirect(destination, code=303))
    return _render_home(endpoint, outcome.course_id, destination)


def _link_grade_setup_page(outcome: launches.LaunchOutcome) -> str | None:
    """Where a launch of a hand-placed link goes while nobody said what its column holds.

    The teacher is asked (one target, several, overall mastery); students and observers see a
    plain "not set up yet" page. None when the link needs no setup.
    """
    if not outcome.needs_grade_setup or outcome.resource_link_id is None:
        return None
    if outcome.role is CourseRole.TEACHER:
        endpoint = "instructor.link_grade_setup"
    elif outcome.role in (CourseRole.STUDENT, CourseRole.OBSERVER):
        endpoint = "student.link_not_set_up"
    else:
        return None
    return url_for(endpoint, course_id=outcome.course_id, link_id=outcome.resource_link_id)


def _launch_renders_home() -> bool:
    """Whether the launch answers with the course home itself (on unless under TESTING)."""
    configured = current_app.config.get("LTI_PL_LAUNCH_RENDERS_HOME")
    return not current_app.testing if configured is None else bool(configured)


def _render_home(endpoint: str, course_id: int, destination: str) -> Response:
    """The role's course home, rendered in the launch response (one round trip, not 303 + GET).

    The page is rendered as if `destination` (its GET URL) had been asked for: same view, menu
    and frame-ancestors. It names that URL (Content-Location, and a meta tag page.js turns into
    `history.replaceState`), so a reload or back GETs the page; a re-POST of the id_token is
    refused as a replay (the nonce is single-use).
    """
    # The launch's writes (nonce, rows, hooks) are complete: commit them, so the page renders
    # outside SQLite's one write lock (the next launch need not wait for this template); the
    # page reads only, as its GET does.
    end_writes()
    request.url_rule = next(current_app.url_map.iter_rules(endpoint))
    request.view_args = {"course_id": course_id}
    g.lti_pl_page_url = destination
    response = make_response(current_app.view_functions[endpoint](course_id=course_id))
    response.headers["Content-Location"] = destination
    response.headers["Cache-Control"] = "no-store"
    return response


def _after_launch_hooks(outcome: launches.LaunchOutcome) -> None:
    """Background work a launch triggers (e.g. a roster sync), never blocking the page."""
    for hook in current_app.extensions.get("lti_pl_launch_hooks", []):
        hook(outcome)


# A link launched without its `lineitem` claim is looked up through AGS at most this often.
LINE_ITEM_DISCOVERY_INTERVAL = 600


def _record_line_item(outcome: launches.LaunchOutcome) -> None:
    """Remember where a deep-linked resource link's grades go.

    With a `lineitem` claim the launch names the column; without one (but with custom
    parameters asking for grades) the column is found or created through AGS after the
    response, at most once per interval per link.
    """
    link_id = outcome.resource_link_id
    if link_id is None:
        return
    if outcome.line_item_url:
        grade_passback.ensure_line_item_from_launch(
            course_id=outcome.course_id, resource_link_row_id=link_id
        )
        return
    if not outcome.needs_line_item:
        return
    key = throttle_key(f"line-item-discovery:{link_id}", outcome.course_id)
    if not runtime().store.add(key, 1, LINE_ITEM_DISCOVERY_INTERVAL):
        return
    course_id = outcome.course_id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.after_commit(lambda: discover_line_item(app, course_id, link_id))


def throttle_key(prefix: str, course_id: int) -> str:
    """A store key limiting some background work for a course.

    The issuer and context are in it too: a recreated database reuses course ids, and a shared
    Redis must not keep an old course's throttle for a new one.
    """
    origin = launches.course_origin(course_id)
    return f"{prefix}:{course_id}:{hashlib.sha256(origin.encode()).hexdigest()[:16]}"


def roster_throttle_key(course_id: int) -> str:
    """The store key limiting roster syncs per course."""
    return throttle_key("roster-sync", course_id)


def _sync_roster_soon(outcome: launches.LaunchOutcome) -> None:
    """After a teacher launch, sync the roster in the background, at most once per interval.

    A launch into a course whose roster the LMS has not offered yet (no NRPS claim so far)
    cannot sync: it is logged and leaves the interval's slot to the first launch that can.
    """
    if outcome.role is not CourseRole.TEACHER:
        return
    if not outcome.roster_offered:
        logger.warning(
            "roster sync not possible yet course=%s: the launch carried no NRPS claim",
            outcome.course_id,
        )
        return
    interval = int(current_app.config["LTI_PL_ROSTER_SYNC_INTERVAL"])
    if not runtime().store.add(roster_throttle_key(outcome.course_id), 1, max(1, interval)):
        return
    course_id = outcome.course_id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.after_commit(lambda: sync_roster(app, course_id))


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    hooks = state.app.extensions.setdefault("lti_pl_launch_hooks", [])
    hooks.extend([_record_line_item, _sync_roster_soon])
    jobs.install(state.app)


@bp.get("/jwks.json")
def jwks() -> Response:
    """The tool's public keys: the current key and recently retired ones; never private members."""
    grace = timedelta(days=current_app.config["LTI_PL_KEY_GRACE_DAYS"])
    now = utcnow()
    keys.ensure_key(now)  # first start: the request's commit keeps it
    response = make_response(keys.public_jwks(now, grace))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _tool_urls() -> ToolUrls:
    return ToolUrls(
        base_url=base_url(),
        login_url=external_url("lti.login"),
        launch_url=external_url("lti.launch"),
        jwks_url=external_url("lti.jwks"),
        logo_url=base_url() + url_for("static", filename="logo.svg"),
    )


@bp.get("/config/canvas.json")
def canvas_config() -> Response:
    """The Canvas developer-key JSON (Admin → Developer Keys → LTI key → Paste JSON)."""
    response = make_response(canvas.developer_key_json(_tool_urls()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/config")
def config_page() -> ResponseReturnValue:
    """Every URL an LMS admin pastes, with copy buttons."""
    urls = _tool_urls()
    rows = [
        ("Login (OIDC initiation) URL", urls.login_url),
        ("Redirect / launch URL (target link URI)", urls.launch_url),
        ("Public keyset (JWKS) URL", urls.jwks_url),
        ("Dynamic registration URL", external_url("lti.register")),
        ("Canvas developer-key JSON URL", external_url("lti.canvas_config")),
        ("Tool domain", urlsplit(urls.base_url).netloc),
    ]
    return render_template("lti/config.html", rows=rows, scopes=REGISTRATION_SCOPES)


@bp.get("/register")
@bp.get("/register/<invite>")
def register(invite: str = "") -> ResponseReturnValue:
    """LTI Dynamic Registration, with an administrator's consent (an invite or the allow-list).

    Every refusal answers with the same text (the reason goes to the log): the page must not
    tell a caller whether an address it named was reachable.
    """
    config_url = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token", "")
    invite = invite or request.args.get("invite", "")
    allowed: frozenset[str] = current_app.config.get("LTI_PL_REGISTRATION_ISSUERS") or frozenset()
    policy = UrlPolicy(
        allow_http=bool(current_app.config.get("LTI_PL_REGISTRATION_ALLOW_HTTP")),
        allow_private=bool(current_app.config.get("LTI_PL_REGISTRATION_ALLOW_PRIVATE")),
    )
    try:
        dynamic_registration.check_request(config_url, token)
        claimed = None
        if invite:
            claimed = registration.claim_invite(invite, utcnow())
        elif not (allowed and dynamic_registration.issuer_origin_allowed(config_url, allowed)):
            raise RegistrationError("No invite and not an allowed issuer.", "no_consent")
        result = dynamic_registration.register(
            _tool_urls(),
            config_url,
            token,
            float(current_app.config["LTI_PL_HTTP_TIMEOUT"]),
            policy,
            allowed_issuers=None if claimed is not None else allowed,
        )
    except RegistrationError as error:
        logger.warning("dynamic registration refused: %s", error.reason)
        message = dynamic_registration.REFUSED_MESSAGE
        return render_template("lti/register_error.html", message=message), 400
    platform = registration.store_dynamic_registration(result, claimed)  # committed after the view
    runtime().registrations_changed()
    logger.info("dynamic registration stored platform=%s", platform.id)
    return render_template("lti/register_done.html", platform=platform)
