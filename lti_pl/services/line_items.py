"""The course's gradebook columns: line item rows, and what a link's custom parameters ask for.

A line item is "aggregate" (the course mastery grade over some targets) or "target" (one
learning target's grade). Deep-linked links name them in custom parameters (`lti_pl_target`,
`lti_pl_targets`, `lti_pl_score_maximum`); `services.grade_passback` sends grades to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.lti.ags import SCOPE_LINEITEM
from lti_pl.models.courses import Course, ResourceLink
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget

AGGREGATE = "aggregate"
PER_TARGET = "target"
PASSBACK_MODES = (AGGREGATE, PER_TARGET)
TARGET_TAG_PREFIX = "target-"


def target_tag(target_id: int) -> str:
    """The line item tag of a per-target line item."""
    return f"{TARGET_TAG_PREFIX}{target_id}"


def line_items_for_target(course_id: int, target_id: int) -> list[LineItem]:
    """The per-target line items of one learning target (where its mastery is sent).

    Args:
        course_id: the course.
        target_id: the learning target.

    Returns:
        Line items with passback mode "target" for that target, oldest first.
    """
    return list(
        db.session.scalars(
            select(LineItem)
            .where(
                LineItem.course_id == course_id,
                LineItem.passback_mode == PER_TARGET,
                LineItem.target_id == target_id,
            )
            .order_by(LineItem.id)
        )
    )


def aggregate_line_items(course_id: int) -> list[LineItem]:
    """The course's aggregate line items (each gets the course mastery grade).

    Which targets an aggregate line item averages is in the resource link's custom parameter
    `lti_pl_targets`, kept in `LineItem.target_ids` (see `aggregate_target_ids`).
    """
    return list(
        db.session.scalars(
            select(LineItem)
            .where(LineItem.course_id == course_id, LineItem.passback_mode == AGGREGATE)
            .order_by(LineItem.id)
        )
    )


def aggregate_target_ids(line_item: LineItem) -> list[int] | None:
    """The targets an aggregate line item covers (None: every non-archived target)."""
    ids = [int(i) for i in line_item.target_ids or [] if str(i).isdigit()]
    return ids or None


def target_line_items(course_id: int) -> list[LineItem]:
    """The course's per-target line items."""
    return list(
        db.session.scalars(
            select(LineItem)
            .where(LineItem.course_id == course_id, LineItem.passback_mode == PER_TARGET)
            .order_by(LineItem.target_id, LineItem.id)
        )
    )


CUSTOM_TARGET = "lti_pl_target"
CUSTOM_TARGETS = "lti_pl_targets"
CUSTOM_MAXIMUM = "lti_pl_score_maximum"


@dataclass(frozen=True)
class Passback:
    """Where a resource link's grades go, read from its custom parameters."""

    mode: str
    target_id: int | None
    target_ids: tuple[int, ...]
    score_maximum: float | None


def passback_from_custom(custom: dict[str, str]) -> Passback | None:
    """The passback a deep-linked resource link asked for (None: no grades flow)."""
    maximum: float | None = None
    raw_max = custom.get(CUSTOM_MAXIMUM, "")
    try:
        maximum = float(raw_max) if raw_max else None
    except ValueError:
        maximum = None
    single = custom.get(CUSTOM_TARGET, "").strip()
    if single.isdigit():
        return Passback(PER_TARGET, int(single), (), maximum)
    if CUSTOM_TARGETS in custom:
        ids = tuple(int(p) for p in custom[CUSTOM_TARGETS].split(",") if p.strip().isdigit())
        return Passback(AGGREGATE, None, ids, maximum)
    return None


def valid_targets(course_id: int, ids: list[int]) -> list[int]:
    """Only ids of targets in this course (a forged custom parameter cannot reach elsewhere)."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(LearningTarget.id).where(
                LearningTarget.course_id == course_id, LearningTarget.id.in_(ids)
            )
        )
    )


class LineItemArgs(TypedDict):
    """`save_line_item`'s arguments, for a caller that passes them on (`record_line_item`)."""

    course_id: int
    url: str
    passback: Passback
    label: NotRequired[str]
    resource_id: NotRequired[str]
    tag: NotRequired[str]
    resource_link_id: NotRequired[str]
    from_launch: NotRequired[bool]


def save_line_item(
    *,
    course_id: int,
    url: str,
    passback: Passback,
    label: str = "",
    resource_id: str = "",
    tag: str = "",
    resource_link_id: str = "",
    from_launch: bool = True,
) -> tuple[LineItem, bool] | None:
    """Create or update the LineItem row of a URL (flushes).

    Returns:
        The row and whether it is new; None when its target is not in the course.
    """
    target_id: int | None = None
    target_ids: list[int] = []
    if passback.mode == PER_TARGET:
        valid = valid_targets(course_id, [passback.target_id or 0])
        if not valid:
            return None
        target_id = valid[0]
    else:
        target_ids = valid_targets(course_id, list(passback.target_ids))
    item = db.session.scalars(
        select(LineItem).where(LineItem.course_id == course_id, LineItem.url == url)
    ).first()
    created = item is None
    if item is None:
        item = LineItem(course_id=course_id, url=url)
        db.session.add(item)
    item.passback_mode = passback.mode
    item.target_id = target_id
    item.target_ids = target_ids
    item.label = label or item.label or ""
    item.resource_id = resource_id or item.resource_id or ""
    item.tag = tag or item.tag or ""
    item.resource_link_id = resource_link_id or item.resource_link_id or ""
    item.from_launch = from_launch
    if passback.score_maximum:
        item.score_maximum = passback.score_maximum
    elif item.score_maximum is None:
        item.score_maximum = 100.0
    db.session.flush()
    return item, created


def link_passback(
    course_id: int, resource_link_row_id: int
) -> tuple[ResourceLink, Passback] | None:
    """A resource link of the course and the passback its custom parameters ask for."""
    link = db.session.get(ResourceLink, resource_link_row_id)
    if link is None or link.course_id != course_id:
        return None
    passback = link_passback_of(link)
    return None if passback is None else (link, passback)


def link_passback_of(link: ResourceLink) -> Passback | None:
    """What a link's grades go to: its custom parameters (deep linking), else the teacher's setup.

    A link placed by hand in the LMS has no custom parameters naming targets; its teacher says
    at its first launch what its column holds (`ResourceLink.grade_setup`, same keys).
    """
    return passback_from_custom(dict(link.custom or {})) or passback_from_custom(
        {str(k): str(v) for k, v in (link.grade_setup or {}).items()}
    )


def needs_grade_setup(link: ResourceLink) -> bool:
    """A link that has a gradebook column (`lineitem` claim) but nothing says what it holds."""
    return bool(link.line_item_url) and link_passback_of(link) is None


def tag_and_resource_id(passback: Passback) -> tuple[str, str]:
    """The AGS tag and resource id of the line item a passback goes to."""
    if passback.mode == PER_TARGET and passback.target_id is not None:
        return target_tag(passback.target_id), str(passback.target_id)
    return AGGREGATE, AGGREGATE


@dataclass(frozen=True)
class LineItemDiscovery:
    """What finding (or creating) a link's gradebook column through AGS needs.

    Read in one transaction before any HTTP call, so no transaction stays open while the LMS
    answers.
    """

    platform_id: int
    scopes: tuple[str, ...]
    line_items_url: str
    passback: Passback
    label: str
    resource_link_id: str


def line_item_discovery(course_id: int, resource_link_row_id: int) -> LineItemDiscovery | None:
    """The AGS lookup a launched link needs, or None when there is nothing to discover.

    Nothing to discover when the link asks for no grades, its launch named its line item, the
    course has no line items URL or no `lineitem` scope, or a line item row already serves the
    link (or, per target, the target: one gradebook column per target is enough).
    """
    found = link_passback(course_id, resource_link_row_id)
    if found is None or found[0].line_item_url:
        return None
    link, passback = found
    course = db.session.get(Course, course_id)
    if course is None or not course.line_items_url:
        return None
    scopes = tuple(str(s) for s in course.ags_scopes or ())
    if SCOPE_LINEITEM not in scopes:
        return None
    serving = LineItem.resource_link_id == link.resource_link_id
    if passback.mode == PER_TARGET:
        if not valid_targets(course_id, [passback.target_id or 0]):
            return None
        serving = serving | (
            (LineItem.passback_mode == PER_TARGET) & (LineItem.target_id == passback.target_id)
        )
    known = db.session.scalars(
        select(LineItem.id).where(LineItem.course_id == course_id, serving).limit(1)
    ).first()
    if known is not None:
        return None
    return LineItemDiscovery(
        platform_id=course.platform_id,
        scopes=scopes,
        line_items_url=course.line_items_url,
        passback=passback,
        label=(link.title or course.title or "lti_pl")[:255],
        resource_link_id=link.resource_link_id,
    )
