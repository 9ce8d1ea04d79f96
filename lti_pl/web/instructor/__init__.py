"""The teacher's pages of a course: one blueprint, one module per area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("instructor", __name__, url_prefix="/courses/<int:course_id>/teach")

# Each area module registers its views on `bp` when imported (so after `bp` exists).
from lti_pl.web.instructor import (  # noqa: E402
    choice_boards,
    class_levels,
    data_wall,
    deep_linking,
    evidence,
    exports,
    grades,
    home,
    link_grades,
    paths,
    previews,
    profiles,
    roster,
    settings,
    standards,
    stations,
    targets,
    teaching,
)

__all__ = [
    "bp",
    "choice_boards",
    "class_levels",
    "data_wall",
    "deep_linking",
    "evidence",
    "exports",
    "grades",
    "home",
    "link_grades",
    "paths",
    "previews",
    "profiles",
    "roster",
    "settings",
    "standards",
    "stations",
    "targets",
    "teaching",
]
