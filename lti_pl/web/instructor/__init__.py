"""The teacher's pages of a course: one blueprint, one module per area."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Blueprint

bp = Blueprint("instructor", __name__, url_prefix="/courses/<int:course_id>/teach")

AREAS = (
    "home",
    "targets",
    "evidence",
    "settings",
    "grades",
    "roster",
    "deep_linking",
    "choice_boards",
    "data_wall",
    "stations",
    "profiles",
    "exports",
    "paths",
    "teaching",
    "standards",
)

for _area in AREAS:
    # Areas land one at a time; each module registers its views on `bp`.
    if importlib.util.find_spec(f"{__name__}.{_area}") is not None:
        importlib.import_module(f"{__name__}.{_area}")
