"""Pages for LMS administrators installing the tool, and the way out of a session."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from lti_pl.web import end_session

logger = logging.getLogger(__name__)
bp = Blueprint("admin", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """What this tool is, and where an admin starts."""
    return render_template("admin/index.html")


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """End this browser's session; opening the tool from the LMS starts a new one."""
    end_session(current_app)
    logger.info("signed out")
    return render_template("signed_out.html")
