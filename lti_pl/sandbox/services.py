"""The services the tool calls: JWKS, OAuth2 token, NRPS, AGS, liveness."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from lti_pl.sandbox.current import sandbox_platform
from lti_pl.sandbox.platform import SandboxError

bp = Blueprint("services", __name__)

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
PREFIXES = ("/token", "/ags/", "/nrps/", "/jwks")
"""Paths whose errors are JSON (the tool's calls), not the error page."""


def _typed(data: Any, content_type: str, status: int = 200) -> Response:
    response = jsonify(data) if not isinstance(data, str) else Response(json.dumps(data))
    response.status_code = status
    response.headers["Content-Type"] = content_type
    return response


def _authorization() -> str:
    return request.headers.get("Authorization", "")


@bp.get("/jwks")
def jwks() -> ResponseReturnValue:
    """The sandbox's public key set."""
    return {"keys": [sandbox_platform().jwk]}


@bp.post("/token")
def token() -> ResponseReturnValue:
    """OAuth2 client credentials with the tool's signed client assertion."""
    return sandbox_platform().issue_token({k: v for k, v in request.form.items()})


@bp.get("/nrps/<context_id>")
def nrps(context_id: str) -> ResponseReturnValue:
    """Names and Role Provisioning: the course's members."""
    platform = sandbox_platform()
    platform.check_bearer(_authorization(), "nrps")
    return _typed(platform.memberships(context_id), MEMBERSHIP_TYPE)


@bp.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
def line_items(context_id: str) -> ResponseReturnValue:
    """The line items container: list (filtered) or create."""
    platform = sandbox_platform()
    if request.method == "POST":
        platform.check_bearer(_authorization(), "lineitem")
        item = platform.create_line_item(request.get_json(force=True, silent=True) or {})
        return _typed(item, LINEITEM_TYPE, 201)
    platform.check_bearer(_authorization(), "lineitem", "lineitem.readonly")
    return _typed(platform.line_items(dict(request.args)), LINEITEMS_TYPE)


@bp.route("/ags/<context_id>/lineitems/<item_id>", methods=["GET", "PUT", "DELETE"])
def line_item(context_id: str, item_id: str) -> ResponseReturnValue:
    """One line item."""
    platform = sandbox_platform()
    url = platform.line_item_url(item_id)
    if request.method == "GET":
        platform.check_bearer(_authorization(), "lineitem", "lineitem.readonly")
        return _typed(platform.line_item(url), LINEITEM_TYPE)
    platform.check_bearer(_authorization(), "lineitem")
    if request.method == "DELETE":
        platform.delete_line_item(url)
        return Response(status=204)
    data = request.get_json(force=True, silent=True) or {}
    return _typed(platform.update_line_item(url, data), LINEITEM_TYPE)


@bp.post("/ags/<context_id>/lineitems/<item_id>/scores")
def scores(context_id: str, item_id: str) -> ResponseReturnValue:
    """Receive a score."""
    platform = sandbox_platform()
    platform.check_bearer(_authorization(), "score")
    if request.mimetype != SCORE_TYPE:
        raise SandboxError(f"scores must be sent as {SCORE_TYPE}", 415)
    score = request.get_json(force=True, silent=True)
    if not isinstance(score, dict):
        raise SandboxError("a score must be a JSON object")
    platform.add_score(platform.line_item_url(item_id), score)
    return Response(status=204)


@bp.get("/ags/<context_id>/lineitems/<item_id>/results")
def results(context_id: str, item_id: str) -> ResponseReturnValue:
    """The latest result of each user (?user_id= for one)."""
    platform = sandbox_platform()
    platform.check_bearer(_authorization(), "result")
    rows = platform.results(platform.line_item_url(item_id), request.args.get("user_id"))
    return _typed(rows, RESULTS_TYPE)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness."""
    return {"status": "ok"}
