"""The sandbox LMS as a WSGI app: course page, launches, OIDC, OAuth2, NRPS, AGS, deep linking.

It is a second, separate app on its own port (another origin, as a real LMS would be); it talks to
the tool only over HTTP and through the browser, never through the tool's database. The routes are
in two blueprints: pages.py (what a person sees) and services.py (what the tool calls).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request
from flask.typing import ResponseReturnValue

from lti_pl.sandbox import pages, services
from lti_pl.sandbox.course import CONTEXT_TITLE
from lti_pl.sandbox.current import attach, sandbox_platform, tool_origin
from lti_pl.sandbox.oidc import LaunchHints
from lti_pl.sandbox.platform import SandboxError, SandboxPlatform

TEMPLATES = str(Path(__file__).resolve().parent / "templates")


def build_sandbox_app(platform: SandboxPlatform) -> Flask:
    """The sandbox's Flask app over one SandboxPlatform."""
    app = Flask("lti_pl_sandbox", template_folder=TEMPLATES, static_folder=None)
    app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
    attach(app, platform, LaunchHints(app.config["SECRET_KEY"]))
    app.register_blueprint(pages.bp)
    app.register_blueprint(services.bp)
    app.context_processor(_template_globals)
    app.register_error_handler(SandboxError, _sandbox_error)
    app.after_request(_headers)
    return app


def _template_globals() -> dict[str, Any]:
    return {
        "platform": sandbox_platform(),
        "course_title": CONTEXT_TITLE,
        "tool_origin": tool_origin(),
    }


def _sandbox_error(error: SandboxError) -> ResponseReturnValue:
    """A refusal: JSON for the tool's service calls, the error page for a person."""
    if request.path.startswith(services.PREFIXES):
        return {"error": str(error)}, error.status
    return render_template("error.html", message=str(error)), error.status


def _headers(response: Response) -> Response:
    """The headers every answer carries."""
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
