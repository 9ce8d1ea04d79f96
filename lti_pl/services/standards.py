"""CASE frameworks per platform: import, browse and pick, and standards across courses.

Import from a file or a CASE provider; one student's history, prior levels for teachers, and the
programme view across courses.

A standard is the CASE item a target links to through `LearningTarget.case_guid`; every course of
the same issuer shares the imported frameworks, and a person is one per issuer and `sub`, so the
same student's targets in two courses linked to one item are one standard for them.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lti_pl.domain import standards as case
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.platforms import Platform
from lti_pl.models.standards import StandardItem, StandardsFramework, StandardsSettings
from lti_pl.models.targets import LearningTarget
from lti_pl.outbound import UrlPolicy, UrlRefusedError, check_url
from lti_pl.services import targets as target_service
from lti_pl.services.courses import course_scale

logger = logging.getLogger(__name__)

MAX_PACKAGE_BYTES = 20 * 1024 * 1024
PROVIDER_TIMEOUT = 15.0
CASE_PATH = "/ims/case/v1p0"
ADMIN_ROLE = "Administrator"
#: What a provider address may be: http or https, never a private, loopback or link-local host.
PUBLIC_PROVIDERS = UrlPolicy(allow_http=True)


@dataclass(frozen=True)
class ImportResult:
    """What an import changed in one framework."""

    framework: StandardsFramework
    created: int
    updated: int
    retired: int
    is_new: bool


# --- import ---------------------------------------------------------------------------------


def parse_json(raw: bytes, source: str) -> Any:
    """Decode a package file.

    Raises:
        InvalidInputError: too large, not UTF-8 or not JSON.
    """
    if len(raw) > MAX_PACKAGE_BYTES:
        raise InvalidInputError(f"{source}: larger than {MAX_PACKAGE_BYTES // 1024 // 1024} MB.")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{source}: not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{source}: not valid JSON ({error}).") from None


def provider_policy(config: Mapping[str, Any]) -> UrlPolicy:
    """Which addresses a provider URL may name: public ones, or any with LTI_PL_CASE_ALLOW_PRIVATE.

    The setting is for a provider inside the school's network, and for the test emulator.
    """
    return UrlPolicy(allow_http=True, allow_private=bool(config.get("LTI_PL_CASE_ALLOW_PRIVATE")))


_REFUSALS = {
    "private_address": "it names a private, loopback or link-local address, which the tool does "
    "not fetch from; give the provider's public address",
    "unresolved": "its host name does not resolve; check the address",
    "insecure_url": "it must start with https://",
}


def _check_provider_url(url: str, policy: UrlPolicy) -> None:
    try:
        check_url(url, policy, "the CASE provider address")
    except UrlRefusedError as error:
        reason = _REFUSALS.get(error.reason, "it is not a usable address")
        logger.info("CASE provider address refused reason=%s", error.reason)
        raise InvalidInputError(
            f"The CASE provider address {url} was refused: {reason}. Nothing was imported."
        ) from None


def _get_json(session: requests.Session, url: str, policy: UrlPolicy) -> Any:
    _check_provider_url(url, policy)
    try:
        response = session.get(
            url,
            timeout=PROVIDER_TIMEOUT,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as error:
        raise InvalidInputError(
            f"Could not reach the CASE provider at {url} ({type(error).__name__}). "
            "Check the address, or try again later."
        ) from None
    with response:
        if response.status_code != 200:
            raise InvalidInputError(
                f"The CASE provider answered {response.status_code} for {url}; "
                "nothing was imported."
            )
        raw = response.raw.read(MAX_PACKAGE_BYTES + 1, decode_content=True)
    return parse_json(raw, url)


def provider_urls(url: str) -> tuple[str, str | None]:
    """(the provider's CASE base URL, a package id or None) from what an admin pasted.

    Accepts `…/ims/case/v1p0`, `…/ims/case/v1p0/CFDocuments` or `…/CFPackages/{sourcedId}`.

    Raises:
        InvalidInputError: not an http(s) URL of a CASE 1.0 provider.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidInputError("Give the CASE provider's address, starting with https://.")
    path = parts.path.rstrip("/")
    if CASE_PATH not in path:
        raise InvalidInputError(
            f"A CASE 1.0 provider's address contains {CASE_PATH}, e.g. "
            f"https://case.example.org{CASE_PATH}/CFDocuments."
        )
    head, _, tail = path.partition(CASE_PATH)
    base = f"{parts.scheme}://{parts.netloc}{head}{CASE_PATH}"
    segments = [s for s in tail.split("/") if s]
    if len(segments) == 2 and segments[0] in {"CFPackages", "CFDocuments"}:
        return base, segments[1]
    if segments in ([], ["CFDocuments"]):
        return base, None
    raise InvalidInputError(
        f"Use {base}/CFDocuments (every framework) or {base}/CFPackages/<identifier>."
    )


def fetch_provider_packages(
    url: str, policy: UrlPolicy = PUBLIC_PROVIDERS
) -> list[tuple[str, case.CaseFramework]]:
    """Every framework the URL names, fetched and parsed before anything is written.

    Every URL is checked against the policy before it is fetched, and redirects are not
    followed (no fetch from an internal address a teacher typed or a provider pointed to).

    Returns:
        (the package URL, the framework) pairs.

    Raises:
        InvalidInputError: the address is refused, the provider is unreachable, answers an
            error, or a package is bad.
    """
    base, package_id = provider_urls(url)
    with requests.Session() as session:
        if package_id is None:
            ids = [
                identifier
                for identifier, _ in case.parse_document_list(
                    _get_json(session, f"{base}/CFDocuments", policy)
                )
            ]
            if not ids:
                raise InvalidInputError("The CASE provider lists no frameworks (CFDocuments).")
        else:
            ids = [package_id]
        found = []
        for identifier in ids:
            package_url = f"{base}/CFPackages/{identifier}"
            try:
                framework = case.parse_package(_get_json(session, package_url, policy))
            except InvalidInputError as error:
                if str(error).startswith(package_url):
                    raise
                raise InvalidInputError(f"{package_url}: {error}") from None
            found.append((package_url, framework))
    return found


def import_framework(
    issuer: str, framework: case.CaseFramework, *, source: str, now: datetime
) -> ImportResult:
    """Write a parsed framework for an issuer: new items added, known ones updated in place.

    Items keep their rows (and so every target's link) across re-imports, matched by CASE
    identifier; items a newer version no longer lists are kept as retired. A linked target
    whose statement still is the item's old statement follows the new one; a teacher's own
    wording stays.
    """
    row = db.session.scalar(
        select(StandardsFramework).where(
            StandardsFramework.issuer == issuer,
            StandardsFramework.identifier == framework.identifier,
        )
    )
    is_new = row is None
    if row is None:
        row = StandardsFramework(issuer=issuer, identifier=framework.identifier, imported_at=now)
        db.session.add(row)
    row.title = framework.title
    row.creator = framework.creator
    row.version = framework.version
    row.adoption_status = framework.adoption_status
    row.source = source[:1000]
    row.updated_at = now
    existing = {item.identifier: item for item in row.items}
    created = updated = 0
    changed_statements: dict[str, tuple[str, str]] = {}
    for item in framework.items:
        current = existing.pop(item.identifier, None)
        if current is None:
            current = StandardItem(identifier=item.identifier, statement=item.statement)
            row.items.append(current)
            created += 1
        else:
            before = (current.statement, current.code, current.parent_identifier, current.position)
            if current.statement != item.statement:
                changed_statements[item.identifier] = (current.statement, item.statement)
            if before != (item.statement, item.code, item.parent, item.position) or (
                current.is_retired
            ):
                updated += 1
        current.statement = item.statement
        current.code = item.code
        current.item_type = item.item_type
        current.education_levels = list(item.education_levels)
        current.parent_identifier = item.parent
        current.position = item.position
        current.is_retired = False
    for gone in existing.values():
        gone.is_retired = True
    db.session.flush()
    _follow_statements(issuer, changed_statements)
    logger.info(
        "standards imported framework=%s created=%s updated=%s retired=%s",
        row.id,
        created,
        updated,
        len(existing),
    )
    return ImportResult(row, created, updated, len(existing), is_new)


def _follow_statements(issuer: str, changed: dict[str, tuple[str, str]]) -> None:
    if not changed:
        return
    linked = db.session.scalars(
        select(LearningTarget)
        .join(Course, Course.id == LearningTarget.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(Platform.issuer == issuer, LearningTarget.case_guid.in_(list(changed)))
    )
    for target in linked:
        old, new = changed[target.case_guid]
        old_statement, _ = case.target_statement(case.CaseItem(target.case_guid, old))
        if target.statement == old_statement:
            target.statement, description = case.target_statement(
                case.CaseItem(target.case_guid, new)
            )
            if description:
                target.description = description


def import_data(issuer: str, data: Any, *, source: str, now: datetime) -> list[ImportResult]:
    """Import one decoded CFPackage for an issuer.

    Raises:
        InvalidInputError: the package is malformed (nothing is written).
    """
    framework = case.parse_package(data)
    return [import_framework(issuer, framework, source=source, now=now)]


def import_from_provider(
    issuer: str, url: str, *, now: datetime, policy: UrlPolicy = PUBLIC_PROVIDERS
) -> list[ImportResult]:
    """Import every framework a provider URL names; all are fetched and checked first.

    Raises:
        InvalidInputError: the address is refused (`policy`), the provider is unreachable or a
            package is malformed (nothing is written).
    """
    packages = fetch_provider_packages(url, policy)
    return [import_framework(issuer, f, source=u, now=now) for u, f in packages]


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


def course_issuer(course: Course) -> str:
    """The issuer whose frameworks a course shares."""
    return course.platform.issuer


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


def settings_for(issuer: str) -> StandardsSettings:
    """The issuer's standards settings (defaults, not stored, until an admin saves them)."""
    row = db.session.scalar(select(StandardsSettings).where(StandardsSettings.issuer == issuer))
    return row or StandardsSettings(issuer=issuer, share_prior_levels=False, programme_roles=[])


def _role_names(enrollment: Enrollment) -> set[str]:
    names = set()
    for role in enrollment.lti_roles or ():
        if isinstance(role, str):
            names.add(role.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
    return names


def is_platform_admin(enrollment: Enrollment) -> bool:
    """Whether the launch carried an LTI Administrator role (context, institution or system)."""
    return ADMIN_ROLE in _role_names(enrollment)


def can_see_programme(enrollment: Enrollment) -> bool:
    """LTI Administrators, and the roles the platform's admin named (e.g. a department head)."""
    if is_platform_admin(enrollment):
        return True
    allowed = set(settings_for(course_issuer(enrollment.course)).programme_roles or ())
    return bool(allowed & _role_names(enrollment))


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


@dataclass(frozen=True)
class HistoryPoint:
    """One assessment on a standard, with the course it came from."""

    assessed_at: datetime
    score: float
    label: str
    is_mastery: bool
    course_title: str
    course_id: int


@dataclass
class StandardHistory:
    """A student's history on one standard across their courses on the platform."""

    identifier: str
    code: str
    statement: str
    points: list[HistoryPoint] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)
    latest_label: str = ""


def _items_by_identifier(issuer: str, identifiers: Iterable[str]) -> dict[str, StandardItem]:
    wanted = list(set(identifiers))
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(StandardItem)
        .join(StandardsFramework)
        .where(StandardsFramework.issuer == issuer, StandardItem.identifier.in_(wanted))
    )
    return {row.identifier: row for row in rows}


def _level_label(scale: MasteryScale, score: float) -> str:
    return scale.level_for(score).label


def student_history(student: Enrollment) -> list[StandardHistory]:
    """The student's standards (linked targets) across every course of the platform.

    Oldest assessment first, each point with its course. Only levels and dates: no evidence
    text, reflections or files of any course.
    """
    enrollments = list(
        db.session.scalars(
            select(Enrollment).where(
                Enrollment.person_id == student.person_id,
                Enrollment.role == CourseRole.STUDENT.value,
            )
        )
    )
    by_id = {e.id: e for e in enrollments}
    rows = db.session.execute(
        select(Assessment, LearningTarget)
        .join(LearningTarget, LearningTarget.id == Assessment.target_id)
        .where(Assessment.enrollment_id.in_(list(by_id)), LearningTarget.case_guid != "")
        .order_by(Assessment.assessed_at, Assessment.id)
    ).all()
    issuer = student.person.issuer
    items = _items_by_identifier(issuer, (t.case_guid for _, t in rows))
    scales: dict[int, MasteryScale] = {}
    histories: dict[str, StandardHistory] = {}
    for assessment, target in rows:
        course = by_id[assessment.enrollment_id].course
        scale = scales.setdefault(course.id, course_scale(course))
        item = items.get(target.case_guid)
        history = histories.setdefault(
            target.case_guid,
            StandardHistory(
                target.case_guid,
                item.code if item else target.standard_code,
                item.statement if item else target.statement,
            ),
        )
        label = _level_label(scale, assessment.score)
        history.points.append(
            HistoryPoint(
                assessment.assessed_at,
                assessment.score,
                label,
                assessment.score >= scale.mastery_points,
                course.title or course.label or f"Course {course.id}",
                course.id,
            )
        )
        if history.points[-1].course_title not in history.courses:
            history.courses.append(history.points[-1].course_title)
        history.latest_label = label
    return sorted(histories.values(), key=lambda h: (h.code or h.statement).casefold())


@dataclass(frozen=True)
class PriorLevel:
    """A student's level on a standard in an earlier course (level and date only)."""

    target_id: int
    label: str
    color: str
    updated_at: datetime
    course_title: str


def prior_levels(student: Enrollment) -> dict[int, PriorLevel]:
    """For each linked target of the course, the student's latest level in earlier courses.

    Empty unless the platform's admin shares prior levels.
    """
    found = course_prior_levels(
        student.course, [student.id], target_service.list_targets(student.course_id)
    )
    return {target_id: prior for (_, target_id), prior in found.items()}


def course_prior_levels(
    course: Course, enrollment_ids: Sequence[int], targets: Sequence[LearningTarget]
) -> dict[tuple[int, int], PriorLevel]:
    """(enrollment id, target id) -> the student's latest level in the platform's other courses.

    For the data wall's page of students: one query for all of them (and one for the settings),
    never one per cell. Only targets with a CASE link count; only the level, its colour, its date
    and the course's title leave the other course (no evidence, reflection or file). Empty
    unless the platform's admin shares prior levels.
    """
    guids: dict[str, list[int]] = {}
    for target in targets:
        if target.case_guid:
            guids.setdefault(target.case_guid, []).append(target.id)
    if not guids or not enrollment_ids:
        return {}
    if not settings_for(course_issuer(course)).share_prior_levels:
        return {}
    here = aliased(Enrollment)
    there = aliased(Enrollment)
    rows = db.session.execute(
        select(
            here.id,
            LearningTarget.case_guid,
            MasteryRecord.label,
            MasteryRecord.color,
            MasteryRecord.updated_at,
            Course.title,
            Course.label,
            Course.id,
        )
        .select_from(MasteryRecord)
        .join(LearningTarget, LearningTarget.id == MasteryRecord.target_id)
        .join(there, there.id == MasteryRecord.enrollment_id)
        .join(Course, Course.id == there.course_id)
        .join(here, here.person_id == there.person_id)
        .where(
            here.course_id == course.id,
            here.id.in_(list(enrollment_ids)),
            there.course_id != course.id,
            LearningTarget.case_guid.in_(list(guids)),
            MasteryRecord.score.is_not(None),
        )
        .order_by(MasteryRecord.updated_at, MasteryRecord.id)
    ).all()
    found: dict[tuple[int, int], PriorLevel] = {}
    for enrollment_id, guid, label, color, updated_at, title, short, other_id in rows:
        for target_id in guids[guid]:  # latest wins
            found[(enrollment_id, target_id)] = PriorLevel(
                target_id, label, color, updated_at, title or short or f"Course {other_id}"
            )
    return found


@dataclass(frozen=True)
class ProgrammeCell:
    """A student's latest level on a standard, and where it was set."""

    label: str
    color: str
    course_title: str
    updated_at: datetime


@dataclass(frozen=True)
class Programme:
    """Standards × students across the platform's courses."""

    standards: list[tuple[str, str, str]]  # (identifier, code, statement)
    students: list[tuple[int, str]]  # (person id, name)
    cells: dict[tuple[int, str], ProgrammeCell]


def programme(actor: Enrollment) -> Programme:
    """The programme view: every linked standard × every student of the platform's courses.

    Raises:
        NotAllowedError: the actor is neither an LTI Administrator nor in a configured role.
    """
    if not can_see_programme(actor):
        raise NotAllowedError(
            "The programme view is for your LMS's administrators and the roles they name."
        )
    issuer = course_issuer(actor.course)
    rows = db.session.execute(
        select(MasteryRecord, LearningTarget, Person, Course)
        .join(LearningTarget, LearningTarget.id == MasteryRecord.target_id)
        .join(Enrollment, Enrollment.id == MasteryRecord.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(
            Platform.issuer == issuer,
            LearningTarget.case_guid != "",
            MasteryRecord.score.is_not(None),
        )
        .order_by(MasteryRecord.updated_at)
    ).all()
    items = _items_by_identifier(issuer, (t.case_guid for _, t, _, _ in rows))
    standards: dict[str, tuple[str, str, str]] = {}
    students: dict[int, str] = {}
    cells: dict[tuple[int, str], ProgrammeCell] = {}
    for record, target, person, course in rows:
        item = items.get(target.case_guid)
        standards.setdefault(
            target.case_guid,
            (
                target.case_guid,
                item.code if item else target.standard_code,
                item.statement if item else target.statement,
            ),
        )
        students[person.id] = person.display_name
        cells[(person.id, target.case_guid)] = ProgrammeCell(
            record.label, record.color, course.title or f"Course {course.id}", record.updated_at
        )
    return Programme(
        sorted(standards.values(), key=lambda s: (s[1] or s[2]).casefold()),
        sorted(students.items(), key=lambda s: (s[1].casefold(), s[0])),
        cells,
    )


def programme_csv(view: Programme) -> str:
    """The programme view as CSV: one row per student, one column per standard."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", *(code or statement[:60] for _, code, statement in view.standards)])
    for person_id, name in view.students:
        row = [name]
        for identifier, _, _ in view.standards:
            cell = view.cells.get((person_id, identifier))
            row.append(
                f"{cell.label} ({cell.course_title}, {cell.updated_at:%Y-%m-%d})" if cell else ""
            )
        writer.writerow([_csv_safe(value) for value in row])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
