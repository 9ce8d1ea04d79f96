"""CASE frameworks per platform: import, browse and pick, and standards across courses.

Import from a file or a CASE provider; one student's history, prior levels for teachers, and the
programme view across courses.

A standard is the CASE item a target links to through `LearningTarget.case_guid`; every course of
the same issuer shares the imported frameworks, and a person is one per issuer and `sub`, so the
same student's targets in two courses linked to one item are one standard for them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lti_pl.domain import standards as case
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.platforms import Platform
from lti_pl.models.standards import StandardItem, StandardsFramework, StandardsSettings
from lti_pl.models.targets import LearningTarget
from lti_pl.services import targets as target_service
from lti_pl.services.standards_progress import (
    course_issuer,
    is_platform_admin,
)

logger = logging.getLogger(__name__)


# --- import ---------------------------------------------------------------------------------


def issuer_for_cli(issuer: str) -> str:
    """The issuer as registered, for `lti-pl standards import --platform`.

    Raises:
        NotFoundError: no platform with that issuer.
    """
    if db.session.scalar(select(Platform.id).where(Platform.issuer == issuer).limit(1)) is None:
        raise NotFoundError(
            f"No platform is registered with issuer {issuer!r}; see `lti-pl platforms list`."
        )
    return issuer


# --- browse and pick ------------------------------------------------------------------------


def list_frameworks(issuer: str) -> list[StandardsFramework]:
    """The issuer's frameworks by title."""
    return list(
        db.session.scalars(
            select(StandardsFramework)
            .where(StandardsFramework.issuer == issuer)
            .order_by(StandardsFramework.title, StandardsFramework.id)
        )
    )


def get_framework(course: Course, framework_id: int) -> StandardsFramework:
    """A framework of the course's platform.

    Raises:
        NotFoundError: no such framework for this platform.
    """
    framework = db.session.get(StandardsFramework, framework_id)
    if framework is None or framework.issuer != course_issuer(course):
        raise NotFoundError("This framework has not been imported for your LMS.")
    return framework


def _as_case(item: StandardItem) -> case.CaseItem:
    return case.CaseItem(
        identifier=item.identifier,
        statement=item.statement,
        code=item.code,
        item_type=item.item_type,
        education_levels=tuple(item.education_levels or ()),
        parent=item.parent_identifier,
        position=item.position,
    )


@dataclass(frozen=True)
class BrowseRow:
    """One line of the browse tree."""

    item: StandardItem
    depth: int
    target: LearningTarget | None
    is_match: bool


@dataclass(frozen=True)
class Browse:
    """The browse screen's content."""

    framework: StandardsFramework
    rows: list[BrowseRow]
    grades: list[tuple[str, str]]
    matches: int


def browse(course: Course, framework_id: int, query: str = "", grade: str = "") -> Browse:
    """A framework's tree, filtered by search text and grade, with this course's linked targets."""
    framework = get_framework(course, framework_id)
    query = query.strip()[:200]
    grade = grade.strip().upper()[:10]
    rows_by_id = {item.identifier: item for item in framework.items if not item.is_retired}
    items = [_as_case(item) for item in rows_by_id.values()]
    kept = case.select_with_ancestors(items, query, grade) if (query or grade) else items
    linked = {
        t.case_guid: t
        for t in target_service.list_targets(course.id, include_archived=True)
        if t.case_guid
    }
    rows = [
        BrowseRow(
            rows_by_id[node.item.identifier],
            node.depth,
            linked.get(node.item.identifier),
            case.matches(node.item, query, grade),
        )
        for node in case.flatten(case.build_tree(kept))
    ]
    levels = sorted({level for i in items for level in i.education_levels}, key=case.grade_key)
    return Browse(
        framework,
        rows,
        [(level, case.grade_label(level)) for level in levels],
        sum(1 for r in rows if r.is_match),
    )


def create_targets(
    actor: Enrollment, item_ids: Sequence[int], *, unit: str = "", now: datetime
) -> tuple[list[LearningTarget], int]:
    """Make a learning target from each picked item, linked to its CASE identifier.

    Items the course already has a target for are skipped.

    Returns:
        (the new targets, how many picks were already targets).

    Raises:
        InvalidInputError: nothing picked.
        NotFoundError: an item of another platform, or no such item.
    """
    if not item_ids:
        raise InvalidInputError("Tick at least one standard to add as a learning target.")
    issuer = course_issuer(actor.course)
    items = list(
        db.session.scalars(
            select(StandardItem)
            .join(StandardsFramework)
            .where(StandardItem.id.in_(list(item_ids)), StandardsFramework.issuer == issuer)
        )
    )
    if len(items) != len(set(item_ids)):
        raise NotFoundError("A picked standard is not in your LMS's frameworks.")
    linked = {
        t.case_guid for t in target_service.list_targets(actor.course_id, include_archived=True)
    }
    created: list[LearningTarget] = []
    for item in sorted(items, key=lambda i: (i.framework_id, i.position)):
        if item.identifier in linked:
            continue
        statement, description = case.target_statement(_as_case(item))
        created.append(
            target_service.create_target(
                actor,
                target_service.TargetFields(
                    statement=statement,
                    unit=unit,
                    standard_code=item.code[: target_service.MAX_STANDARD_CHARS],
                    case_guid=item.identifier,
                    description=description,
                ),
                now=now,
            )
        )
        linked.add(item.identifier)
    return created, len(items) - len(created)


# --- settings and roles ---------------------------------------------------------------------


def save_settings(
    actor: Enrollment, *, share_prior_levels: bool, programme_roles: str, now: datetime
) -> StandardsSettings:
    """Save the platform's standards settings (LTI Administrators only).

    Raises:
        NotAllowedError: the actor is not an LTI Administrator.
        InvalidInputError: a role name is unusable.
    """
    if not is_platform_admin(actor):
        raise NotAllowedError("Only your LMS's administrators can change these settings.")
    roles = sorted({r.strip() for r in programme_roles.replace("\n", ",").split(",") if r.strip()})
    for role in roles:
        if len(role) > 100 or not role.replace("_", "").replace("-", "").isalnum():
            raise InvalidInputError(
                f"{role[:40]!r} is not an LTI role name (e.g. Mentor or DepartmentHead).",
                field="programme_roles",
            )
    issuer = course_issuer(actor.course)
    row = db.session.scalar(select(StandardsSettings).where(StandardsSettings.issuer == issuer))
    if row is None:
        row = StandardsSettings(issuer=issuer)
        db.session.add(row)
    row.share_prior_levels = share_prior_levels
    row.programme_roles = roles
    row.updated_at = now
    db.session.flush()
    logger.info("standards settings saved enrollment=%s", actor.id)
    return row


# --- standards across courses ---------------------------------------------------------------
