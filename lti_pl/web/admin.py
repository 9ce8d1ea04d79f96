"""Pages for LMS administrators installing the tool."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("admin", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """What this tool is, and where an admin starts."""
    return render_template("admin/index.html")
