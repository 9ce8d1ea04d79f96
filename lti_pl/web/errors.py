"""The one place where errors become responses: readable pages or JSON, the right status."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_pl.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
)
from lti_pl.lti.launch_errors import LaunchError

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInputError: 422,
    NotAllowedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
}


def form_page(template: str, error: Exception | None = None, **context: Any) -> tuple[str, int]:
    """A page with a form: after a refused POST, 422 with the form as typed and the error.

    The template gets `values` (the posted form, None on a GET) and `error` besides `context`,
    so the person corrects one field instead of typing the whole form again.
    """
    values = request.form if request.method == "POST" else None
    page = render_template(template, values=values, error=error, **context)
    return page, (422 if error else 200)


def wants_json() -> bool:
    """Whether the client prefers JSON (fetch calls, API clients)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def actor_pseudonym() -> str:
    """Who was refused, for the log: enrollment ids this browser launched as, never a name.

    The ids are pseudonymous (meaningless outside the tool's database), so an operator can
    follow one actor's refusals without the log holding personal data.
    """
    from flask import session

    launches = session.get("launches") or {}
    ids = sorted(
        str(entry["e"]) for entry in launches.values() if isinstance(entry, dict) and "e" in entry
    )
    return "enrollment:" + ",".join(ids) if ids else "anonymous"


def handle_domain_error(error: DomainError) -> ResponseReturnValue:
    """A DomainError's message is meant for the user."""
    status = next((code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 400)
    logger.info(
        "refused %s %s: %s actor=%s",
        request.method,
        request.path,
        type(error).__name__,
        actor_pseudonym(),
    )
    if wants_json():
        body = {"error": type(error).__name__, "message": str(error)}
        if isinstance(error, InvalidInputError) and error.field:
            body["field"] = error.field
        return body, status
    return render_template("errors/domain.html", message=str(error), status=status), status


def handle_launch_error(error: LaunchError) -> ResponseReturnValue:
    """A refused LTI login or launch: what went wrong and what an admin can do; no token details."""
    logger.warning("launch refused: %s (%s)", error.code, error.detail)
    if wants_json():
        return {"error": error.code, "message": error.message, "hint": error.hint}, error.status
    return render_template("errors/launch.html", error=error), error.status


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A form without a valid CSRF token (often: the page sat open too long)."""
    logger.info("csrf refused on %s", request.path)
    message = "This form expired or did not come from this tool. Reload the page and try again."
    if wants_json():
        return {"error": "csrf", "message": message}, 400
    return render_template("errors/domain.html", message=message, status=400), 400


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """Werkzeug's HTTP errors (404, 405, 413 …) as our pages."""
    status = error.code or 500
    message = {
        404: "This page does not exist.",
        405: "This address does not accept that kind of request.",
        413: (
            "That upload is larger than the "
            f"{current_app.config['LTI_PL_MAX_UPLOAD_BYTES'] / 1048576:g} MB this tool accepts: "
            "nothing was saved. Go back, choose a smaller file, or hand in a link to it."
        ),
    }.get(status, error.description or error.name)
    if wants_json():
        return {"error": error.name, "message": message}, status
    return render_template("errors/domain.html", message=message, status=status), status


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    """Log once and show a 500 page; under TESTING re-raise so the test fails."""
    if current_app.testing and not current_app.config.get("LTI_PL_SWALLOW_ERRORS"):
        raise error
    logger.error("unexpected error on %s %s", request.method, request.path, exc_info=error)
    if wants_json():
        return {"error": "internal", "message": "Something went wrong on our side."}, 500
    return render_template(
        "errors/domain.html", message="Something went wrong on our side.", status=500
    ), 500


def register_error_handlers(app: Flask) -> None:
    """Attach every handler."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(LaunchError, handle_launch_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
