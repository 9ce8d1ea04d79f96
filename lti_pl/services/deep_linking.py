"""What a teacher can link from the LMS (targets, a titled activity, choice boards), as items."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.targets import DEFAULT_SCALE
from lti_pl.extensions import db
from lti_pl.lti.deep_linking import ContentItem, LineItemSpec
from lti_pl.models.choice_boards import ChoiceBoard
from lti_pl.models.courses import Course
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from lti_pl.services.grade_passback import record_line_item
from lti_pl.services.line_items import (
    AGGREGATE,
    CUSTOM_TARGET,
    CUSTOM_TARGETS,
    PER_TARGET,
    passback_from_custom,
    target_tag,
)

NO_GRADES = "none"
MODES = (AGGREGATE, PER_TARGET, NO_GRADES)


@dataclass(frozen=True)
class Offer:
    """What the picker shows."""

    targets: list[LearningTarget]
    choice_boards: list[ChoiceBoard]
    target_points: float


def _scale_max(course: Course) -> float:
    levels = course.scale_levels or []
    points = [float(level[0]) for level in levels if isinstance(level, list) and level]
    return max(points) if points else float(DEFAULT_SCALE.max_points)


def _choice_boards(course_id: int) -> list[ChoiceBoard]:
    query = select(ChoiceBoard).where(ChoiceBoard.course_id == course_id)
    return list(db.session.scalars(query.order_by(ChoiceBoard.id)))


def offer(course: Course) -> Offer:
    """Non-archived targets by position, the course's choice boards, points per target."""
    targets = list(
        db.session.scalars(
            select(LearningTarget)
            .where(LearningTarget.course_id == course.id, LearningTarget.archived_at.is_(None))
            .order_by(LearningTarget.position, LearningTarget.id)
        )
    )
    return Offer(targets, _choice_boards(course.id), _scale_max(course))


def parse_points(text: str) -> float:
    """The aggregate item's points as the teacher typed them ("" reads as 0, refused later).

    Raises:
        InvalidInputError: not a number (field "points").
    """
    try:
        return float(text.strip() or 0)
    except ValueError:
        raise InvalidInputError(
            "Points must be a number, for example 100.", field="points"
        ) from None


def target_items(
    course: Course, target_ids: list[int], *, mode: str, title: str, points: float
) -> list[ContentItem]:
    """Items linking learning targets with the chosen passback mode.

    Args:
        course: the teacher's course.
        target_ids: chosen targets (must be non-archived targets of the course).
        mode: "aggregate" (one item, the course mastery grade), "target" (one per target), or
            "none" (a link without a gradebook column).
        title: the aggregate item's title ("" for a default).
        points: the aggregate item's maximum points.

    Raises:
        InvalidInputError: nothing chosen, a foreign target, bad points or mode.
    """
    if mode not in MODES:
        raise InvalidInputError("Choose how grades go to the LMS.", field="mode")
    if not target_ids:
        raise InvalidInputError("Choose at least one learning target.", field="target_ids")
    by_id = {t.id: t for t in offer(course).targets}
    if any(i not in by_id for i in target_ids):
        raise InvalidInputError("A chosen target is not in this course.", field="target_ids")
    chosen = [by_id[i] for i in sorted(set(target_ids), key=list(by_id).index)]
    if mode == PER_TARGET:
        maximum = _scale_max(course)
        return [
            ContentItem(
                title=t.statement[:255],
                text=t.description[:1000],
                custom={CUSTOM_TARGET: str(t.id)},
                line_item=LineItemSpec(maximum, t.statement[:255], str(t.id), target_tag(t.id)),
            )
            for t in chosen
        ]
    if not math.isfinite(points) or points <= 0 or points > 10_000:  # "nan" passes <= and >
        raise InvalidInputError("Points must be between 0 and 10,000.", field="points")
    label = title.strip() or "Mastery grade"
    text = "; ".join(t.statement for t in chosen)[:1000]
    custom = {CUSTOM_TARGETS: ",".join(str(t.id) for t in chosen)}
    line_item = (
        LineItemSpec(points, label[:255], AGGREGATE, AGGREGATE) if mode == AGGREGATE else None
    )
    return [ContentItem(label[:255], text, custom, line_item)]


def activity_item(title: str, text: str) -> ContentItem:
    """A free "titled activity" link (no gradebook column).

    Raises:
        InvalidInputError: no title.
    """
    title = title.strip()
    if not title:
        raise InvalidInputError("Give the activity a title.", field="activity_title")
    return ContentItem(title[:255], text.strip()[:1000], {"lti_pl_activity": title[:100]})


def choice_board_items(course: Course, board_ids: list[int]) -> list[ContentItem]:
    """Items opening choice boards of the course.

    Raises:
        InvalidInputError: nothing chosen or a foreign board.
    """
    boards = {b.id: b for b in _choice_boards(course.id)}
    if not board_ids or any(i not in boards for i in board_ids):
        raise InvalidInputError("Choose a choice board of this course.", field="board_ids")
    return [
        ContentItem(
            boards[i].title[:255],
            (getattr(boards[i], "description", "") or "")[:1000],
            {"lti_pl_choice_board": str(i)},
        )
        for i in board_ids
    ]


@dataclass(frozen=True)
class PlacedColumn:
    """A gradebook column a deep-linking response asked the LMS to create."""

    label: str
    resource_id: str
    tag: str
    custom: dict[str, str]


def placed_columns(items: list[ContentItem]) -> list[PlacedColumn]:
    """The columns the items' line items will create (for the backfill after the response)."""
    return [
        PlacedColumn(i.line_item.label, i.line_item.resource_id, i.line_item.tag, dict(i.custom))
        for i in items
        if i.line_item is not None
    ]


def record_placed_column(
    course_id: int, column: PlacedColumn, found: list[dict[str, Any]], *, now: Any
) -> LineItem | None:
    """Record the LMS line item made for a placed column, queueing the grades already earned.

    `found` are the line items the LMS lists for the column's resource id and tag; the first
    with its label that the tool does not know yet is the new one (a deep-linked aggregate
    column shares resource id and tag with its siblings).

    Returns:
        The new LineItem row, or None while the LMS has not created the column yet.
    """
    passback = passback_from_custom(column.custom)
    if passback is None:
        return None
    known = set(db.session.scalars(select(LineItem.url).where(LineItem.course_id == course_id)))
    for data in found:
        url = str(data.get("id") or "")
        if not url or url in known or str(data.get("label") or "") != column.label:
            continue
        return record_line_item(
            course_id=course_id,
            url=url,
            passback=passback,
            label=column.label,
            resource_id=column.resource_id,
            tag=column.tag,
            resource_link_id=str(data.get("resourceLinkId") or ""),
            from_launch=False,
            now=now,
        )
    return None
