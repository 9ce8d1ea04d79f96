"""Pages for people: the course, launches (OIDC login), storage frame, deep link return, grades."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.sandbox.course import CONTEXT_ID, COURSES, sandbox_course
from lti_pl.sandbox.current import launch_hints, sandbox_platform, tool_origin
from lti_pl.sandbox.oidc import STORAGE_FRAME, check_auth_request, login_fields
from lti_pl.sandbox.platform import LaunchRequest, SandboxError, SandboxPlatform

bp = Blueprint("pages", __name__)


def _requested_link(platform: SandboxPlatform, deep: bool) -> dict[str, Any] | None:
    """The link asked for (?link=, else the course's first); none for deep linking."""
    if deep:
        return None
    return platform.link(request.args.get("link") or str(platform.ensure_default_link()["id"]))


@bp.get("/")
def course() -> ResponseReturnValue:
    """The course page: people with "launch as" buttons, the activities, the teacher's tools."""
    platform = sandbox_platform()
    platform.ensure_default_link()
    current = sandbox_course(request.args.get("course", CONTEXT_ID))
    if current is None:
        raise SandboxError("No such course in the sandbox.", 404)
    return render_template(
        "course.html",
        people=platform.people,
        links=platform.course_links(current.context_id),
        added=request.args,
        courses=COURSES,
        current=current,
    )


@bp.get("/launch")
def launch() -> ResponseReturnValue:
    """The LMS frame around a launch: the tool in an iframe, beside the storage frame."""
    platform = sandbox_platform()
    deep = request.args.get("deep") == "1"
    person = platform.person(request.args.get("user", ""))
    link = _requested_link(platform, deep)
    start = url_for(
        "pages.start_login", user=person.user_id, link=link["id"] if link else "", deep=int(deep)
    )
    return render_template(
        "launch.html", person=person, link=link, deep=deep, start=start, frame=STORAGE_FRAME
    )


@bp.get("/launch/start")
def start_login() -> ResponseReturnValue:
    """Third-party initiated login: the frame posts the login request to the tool."""
    platform = sandbox_platform()
    person = platform.person(request.args.get("user", ""))
    deep = request.args.get("deep") == "1"
    link = _requested_link(platform, deep)
    platform.warm_tool_keys()
    launch = LaunchRequest(person.user_id, link["id"] if link else "", deep)
    return render_template(
        "autopost.html",
        action=platform.tool_url + "/lti/login",
        fields=login_fields(platform, person.user_id, link, launch_hints().dump(launch)),
        label="Opening lti_pl…",
    )


@bp.route("/auth", methods=["GET", "POST"])
def auth() -> ResponseReturnValue:
    """OIDC authentication: answer the tool's request with a signed id_token (form_post)."""
    platform = sandbox_platform()
    params = request.values
    check_auth_request(params, platform.tool_url)
    launch = launch_hints().load(params.get("lti_message_hint", ""), params.get("login_hint"))
    redirect_uri = params["redirect_uri"]
    body = platform.claims(launch, params["nonce"], redirect_uri)
    return render_template(
        "autopost.html",
        action=redirect_uri,
        fields={"id_token": platform.sign(body), "state": params["state"]},
        label="Signing you in…",
    )


@bp.get("/storage")
def storage_frame() -> ResponseReturnValue:
    """The platform storage frame (lti.capabilities / lti.put_data / lti.get_data)."""
    return render_template("storage.html", tool_origin=tool_origin())


@bp.post("/deep-link-return")
def deep_link_return() -> ResponseReturnValue:
    """The tool's LtiDeepLinkingResponse: verify it, add the links, say what was added."""
    added = sandbox_platform().accept_deep_linking_response(request.form.get("JWT", ""))
    return render_template("deep_link_done.html", added=added)


@bp.get("/gradebook")
def gradebook() -> ResponseReturnValue:
    """The line items and scores the tool sent (AGS) and the roster it was served (NRPS)."""
    platform = sandbox_platform()
    names = {p.user_id: p.name for p in platform.people}
    return render_template(
        "gradebook.html",
        items=platform.score_sheet(names),
        names=names,
        roster_requests=platform.state["roster_requests"],
        token_requests=platform.state["token_requests"],
    )
