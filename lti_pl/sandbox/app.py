"""The sandbox LMS as a WSGI app: course page, launches, OIDC, OAuth2, NRPS, AGS, deep linking.

It is a second, separate app on its own port (another origin, as a real LMS would be); it talks to
the tool only over HTTP and through the browser, never through the tool's database.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.sandbox.course import CONTEXT_ID, CONTEXT_TITLE, COURSES, sandbox_course
from lti_pl.sandbox.oidc import (
    STORAGE_FRAME,
    LaunchHints,
    check_auth_request,
    login_fields,
)
from lti_pl.sandbox.platform import LaunchRequest, SandboxError, SandboxPlatform

logger = logging.getLogger(__name__)

TEMPLATES = str(Path(__file__).resolve().parent / "templates")
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SERVICE_PREFIXES = ("/token", "/ags/", "/nrps/", "/jwks")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def build_sandbox_app(platform: SandboxPlatform) -> Flask:
    """The sandbox's Flask app over one SandboxPlatform."""
    app = Flask("lti_pl_sandbox", template_folder=TEMPLATES, static_folder=None)
    app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
    hints = LaunchHints(app.config["SECRET_KEY"])

    _add_frame(app, platform)
    _add_pages(app, platform, hints)
    _add_services(app, platform)
    return app


def _add_frame(app: Flask, platform: SandboxPlatform) -> None:
    """Template globals, the error page and the headers every answer carries."""

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "platform": platform,
            "course_title": CONTEXT_TITLE,
            "tool_origin": _origin(platform.tool_url),
        }

    @app.errorhandler(SandboxError)
    def _sandbox_error(error: SandboxError) -> ResponseReturnValue:
        if request.path.startswith(SERVICE_PREFIXES):
            return {"error": str(error)}, error.status
        return render_template("error.html", message=str(error)), error.status

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    del _globals, _sandbox_error, _headers


def _add_pages(app: Flask, platform: SandboxPlatform, hints: LaunchHints) -> None:
    """Pages for people: the course, launches (OIDC), storage frame, deep link return, gradebook."""

    @app.get("/")
    def course() -> ResponseReturnValue:
        """The course page: people with "launch as" buttons, the activities, the teacher's tools."""
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

    @app.get("/launch")
    def launch() -> ResponseReturnValue:
        """The LMS frame around a launch: the tool in an iframe, beside the storage frame."""
        user_id = request.args.get("user", "")
        deep = request.args.get("deep") == "1"
        person = platform.person(user_id)
        link = None if deep else platform.link(request.args.get("link") or _first_link_id())
        start = url_for(
            "start_login", user=person.user_id, link=link["id"] if link else "", deep=int(deep)
        )
        return render_template(
            "launch.html", person=person, link=link, deep=deep, start=start, frame=STORAGE_FRAME
        )

    def _first_link_id() -> str:
        return str(platform.ensure_default_link()["id"])

    @app.get("/launch/start")
    def start_login() -> ResponseReturnValue:
        """Third-party initiated login: the frame posts the login request to the tool."""
        person = platform.person(request.args.get("user", ""))
        deep = request.args.get("deep") == "1"
        link = None if deep else platform.link(request.args.get("link") or _first_link_id())
        platform.warm_tool_keys()
        launch = LaunchRequest(person.user_id, link["id"] if link else "", deep)
        return render_template(
            "autopost.html",
            action=platform.tool_url + "/lti/login",
            fields=login_fields(platform, person.user_id, link, hints.dump(launch)),
            label="Opening lti_pl…",
        )

    @app.route("/auth", methods=["GET", "POST"])
    def auth() -> ResponseReturnValue:
        """OIDC authentication: answer the tool's request with a signed id_token (form_post)."""
        params = request.values
        check_auth_request(params, platform.tool_url)
        launch = hints.load(params.get("lti_message_hint", ""), params.get("login_hint"))
        redirect_uri = params["redirect_uri"]
        body = platform.claims(launch, params["nonce"], redirect_uri)
        return render_template(
            "autopost.html",
            action=redirect_uri,
            fields={"id_token": platform.sign(body), "state": params["state"]},
            label="Signing you in…",
        )

    @app.get("/storage")
    def storage_frame() -> ResponseReturnValue:
        """The platform storage frame (lti.capabilities / lti.put_data / lti.get_data)."""
        return render_template("storage.html", tool_origin=_origin(platform.tool_url))

    @app.post("/deep-link-return")
    def deep_link_return() -> ResponseReturnValue:
        """The tool's LtiDeepLinkingResponse: verify it, add the links, say what was added."""
        added = platform.accept_deep_linking_response(request.form.get("JWT", ""))
        return render_template("deep_link_done.html", added=added)

    @app.get("/gradebook")
    def gradebook() -> ResponseReturnValue:
        """The line items and scores the tool sent (AGS) and the roster it was served (NRPS)."""
        names = {p.user_id: p.name for p in platform.people}
        return render_template(
            "gradebook.html",
            items=platform.score_sheet(names),
            names=names,
            roster_requests=platform.state["roster_requests"],
            token_requests=platform.state["token_requests"],
        )

    del course, launch, start_login, auth, storage_frame, deep_link_return, gradebook


def _add_services(app: Flask, platform: SandboxPlatform) -> None:
    """The services the tool calls: JWKS, OAuth2 token, NRPS, AGS, liveness."""

    @app.get("/jwks")
    def jwks() -> ResponseReturnValue:
        """The sandbox's public key set."""
        return {"keys": [platform.jwk]}

    @app.post("/token")
    def token() -> ResponseReturnValue:
        """OAuth2 client credentials with the tool's signed client assertion."""
        return platform.issue_token({k: v for k, v in request.form.items()})

    @app.get("/nrps/<context_id>")
    def nrps(context_id: str) -> ResponseReturnValue:
        """Names and Role Provisioning: the course's members."""
        platform.check_bearer(request.headers.get("Authorization", ""), "nrps")
        return _typed(platform.memberships(context_id), MEMBERSHIP_TYPE)

    @app.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
    def line_items(context_id: str) -> ResponseReturnValue:
        """The line items container: list (filtered) or create."""
        auth = request.headers.get("Authorization", "")
        if request.method == "POST":
            platform.check_bearer(auth, "lineitem")
            item = platform.create_line_item(request.get_json(force=True, silent=True) or {})
            return _typed(item, LINEITEM_TYPE, 201)
        platform.check_bearer(auth, "lineitem", "lineitem.readonly")
        return _typed(platform.line_items(dict(request.args)), LINEITEMS_TYPE)

    @app.route("/ags/<context_id>/lineitems/<item_id>", methods=["GET", "PUT", "DELETE"])
    def line_item(context_id: str, item_id: str) -> ResponseReturnValue:
        """One line item."""
        auth = request.headers.get("Authorization", "")
        url = platform.line_item_url(item_id)
        if request.method == "GET":
            platform.check_bearer(auth, "lineitem", "lineitem.readonly")
            return _typed(platform.line_item(url), LINEITEM_TYPE)
        platform.check_bearer(auth, "lineitem")
        if request.method == "DELETE":
            platform.delete_line_item(url)
            return Response(status=204)
        data = request.get_json(force=True, silent=True) or {}
        return _typed(platform.update_line_item(url, data), LINEITEM_TYPE)

    @app.post("/ags/<context_id>/lineitems/<item_id>/scores")
    def scores(context_id: str, item_id: str) -> ResponseReturnValue:
        """Receive a score."""
        platform.check_bearer(request.headers.get("Authorization", ""), "score")
        if request.mimetype != SCORE_TYPE:
            raise SandboxError(f"scores must be sent as {SCORE_TYPE}", 415)
        score = request.get_json(force=True, silent=True)
        if not isinstance(score, dict):
            raise SandboxError("a score must be a JSON object")
        platform.add_score(platform.line_item_url(item_id), score)
        return Response(status=204)

    @app.get("/ags/<context_id>/lineitems/<item_id>/results")
    def results(context_id: str, item_id: str) -> ResponseReturnValue:
        """The latest result of each user."""
        platform.check_bearer(request.headers.get("Authorization", ""), "result")
        rows = platform.results(platform.line_item_url(item_id), request.args.get("user_id"))
        return _typed(rows, RESULTS_TYPE)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """Liveness."""
        return {"status": "ok"}

    del jwks, token, nrps, line_items, line_item, scores, results, healthz


def _typed(data: Any, content_type: str, status: int = 200) -> Response:
    response = jsonify(data) if not isinstance(data, str) else Response(json.dumps(data))
    response.status_code = status
    response.headers["Content-Type"] = content_type
    return response
