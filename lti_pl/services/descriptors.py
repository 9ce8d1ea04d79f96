"""Level descriptors: what work at each level of the scale looks like, per target.

A single-point rubric per target: the teacher writes a description for any level (most write
only the mastery level's); the assessment page shows them beside the evidence and students read
them on the target page before they say they are ready.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.targets import MasteryLevel, MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.teaching import LevelDescriptor
from lti_pl.services.courses import course_scale
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)

MAX_TEXT = 2000


@dataclass(frozen=True)
class DescribedLevel:
    """A level of the scale with the target's description of it ("" when none)."""

    level: MasteryLevel
    text: str
    is_mastery: bool


def descriptions(target_id: int) -> dict[float, str]:
    """The target's descriptions by level points."""
    return _descriptions([target_id]).get(target_id, {})


def _descriptions(target_ids: Iterable[int]) -> dict[int, dict[float, str]]:
    """Each target's descriptions by level points, in one query."""
    found: dict[int, dict[float, str]] = {}
    for d in db.session.scalars(
        select(LevelDescriptor).where(LevelDescriptor.target_id.in_(list(target_ids)))
    ):
        found.setdefault(d.target_id, {})[d.points] = d.text
    return found


def described_levels(target_id: int, scale: MasteryScale) -> list[DescribedLevel]:
    """The scale's levels, highest first, each with the target's description of it."""
    return described_levels_of([target_id], scale)[target_id]


def described_levels_of(
    target_ids: Iterable[int], scale: MasteryScale
) -> dict[int, list[DescribedLevel]]:
    """`described_levels` of each target, in one query (a page with every target of a course)."""
    ids = list(target_ids)
    texts = _descriptions(ids)
    mastery = scale.level_for(scale.mastery_points)
    return {
        target_id: [
            DescribedLevel(level, texts.get(target_id, {}).get(level.points, ""), level == mastery)
            for level in scale.levels
        ]
        for target_id in ids
    }


def has_descriptions(levels: list[DescribedLevel]) -> bool:
    """Whether any level is described (pages show the rubric only then)."""
    return any(d.text for d in levels)


def save_descriptions(actor: Enrollment, target_id: int, texts: Mapping[str, str]) -> int:
    """Replace a target's descriptions (keys: level points as text; blank texts are dropped).

    Returns:
        How many levels are described now.

    Raises:
        NotAllowedError: the actor is not a teacher.
        NotFoundError: the target is not in the actor's course.
        InvalidInputError: field "descriptors": a key is not a level, or a text is too long.
    """
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers write level descriptions.")
    target = target_in_course(actor.course_id, target_id)
    scale = course_scale(actor.course)
    points = {f"{level.points:g}": level for level in scale.levels}
    rows: dict[float, str] = {}
    for key, text in texts.items():
        level = points.get(key.strip())
        if level is None:
            raise InvalidInputError("Describe the scale's levels only.", field="descriptors")
        cleaned = text.strip()
        if len(cleaned) > MAX_TEXT:
            raise InvalidInputError(
                f"Keep each description to {MAX_TEXT:,} characters ({level.label}).",
                field="descriptors",
            )
        if cleaned:
            rows[level.points] = cleaned
    db.session.execute(delete(LevelDescriptor).where(LevelDescriptor.target_id == target.id))
    db.session.add_all(
        LevelDescriptor(target_id=target.id, points=p, text=t) for p, t in rows.items()
    )
    db.session.flush()
    logger.info("level descriptors saved target=%s count=%s", target.id, len(rows))
    return len(rows)
