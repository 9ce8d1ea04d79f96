"""The student's (and observer's) pages of a course: one blueprint, one module per area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("student", __name__, url_prefix="/courses/<int:course_id>/learn")

# Each area module registers its views on `bp` when imported (so after `bp` exists).
from lti_pl.web.student import (  # noqa: E402
    binder,
    choice_boards,
    evidence,
    goals,
    home,
    observe,
    paths,
    profiles,
    targets,
)

__all__ = [
    "binder",
    "bp",
    "choice_boards",
    "evidence",
    "goals",
    "home",
    "observe",
    "paths",
    "profiles",
    "targets",
]
