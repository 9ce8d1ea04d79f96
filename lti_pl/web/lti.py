"""LTI endpoints whose URLs are a contract (admins paste them into LMS forms)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

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
from flask.typing import ResponseReturnValue

from lti_pl.extensions import csrf
from lti_pl.lti import keys
from lti_pl.lti.launch import DEEP_LINKING_REQUEST, LaunchError
from lti_pl.lti.roles import CourseRole
from lti_pl.lti.runtime import LtiRuntime
from lti_pl.models.base import utcnow
from lti_pl.services import launches
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
        )
    info = launcher.complete_launch(params, cookie)
    if info.course_role is None:
        raise LaunchError("no_role", "no known role in the launch")
    outcome = launches.provision(info, utcnow())
    session.permanent = True
    remember_launch(outcome.course_id, outcome.enrollment_id, outcome.role)
    if cookie is None:
        g.session_in_url = True
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
        session["deep_link"] = {
            "course_id": outcome.course_id,
            "platform_id": info.platform_id,
            "deployment_id": info.deployment_id,
            "settings": dict(info.deep_linking or {}),
        }
        destination = url_for("instructor.deep_link_picker", course_id=outcome.course_id)
    elif outcome.role is CourseRole.TEACHER:
        destination = url_for(
            "instructor.home", course_id=outcome.course_id, link=outcome.resource_link_id
        )
    else:
        destination = url_for(
            "student.home", course_id=outcome.course_id, link=outcome.resource_link_id
        )
    response = make_response(redirect(destination, code=303))
    response.delete_cookie(STATE_COOKIE_PREFIX + state, samesite="None", secure=True)
    _after_launch_hooks(outcome)
    return response


def _after_launch_hooks(outcome: launches.LaunchOutcome) -> None:
    """Background work a launch triggers (e.g. a roster sync), never blocking the page."""
    for hook in current_app.extensions.get("lti_pl_launch_hooks", []):
        hook(outcome)


@bp.get("/jwks.json")
def jwks() -> Response:
    """The tool's public keys: the current key and recently retired ones; never private members."""
    grace = timedelta(days=current_app.config["LTI_PL_KEY_GRACE_DAYS"])
    now = utcnow()
    keys.ensure_key(now)  # first start: the request's commit keeps it
    response = make_response(keys.public_jwks(now, grace))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
