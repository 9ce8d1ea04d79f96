"""The student's (and observer's) pages of a course: one blueprint, one module per area."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Blueprint

bp = Blueprint("student", __name__, url_prefix="/courses/<int:course_id>/learn")

AREAS = (
    "home",
    "targets",
    "evidence",
    "choice_boards",
    "profiles",
    "goals",
    "binder",
    "paths",
    "observe",
)

for _area in AREAS:
    if importlib.util.find_spec(f"{__name__}.{_area}") is not None:
        importlib.import_module(f"{__name__}.{_area}")
