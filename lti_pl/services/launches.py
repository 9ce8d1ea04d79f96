"""Provision Course, Person, Enrollment and ResourceLink from a validated launch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from lti_pl.database import UPSERT_DIALECTS, insert_unless_exists, insert_values
from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import NotAllowedError
from lti_pl.extensions import db
from lti_pl.lti.claims import LaunchInfo
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Course, Enrollment, ObserverLink, Person, ResourceLink
from lti_pl.models.platforms import Deployment
from lti_pl.services.line_items import CUSTOM_TARGET, CUSTOM_TARGETS, needs_grade_setup

T = TypeVar("T")
# Custom parameters of a deep-linked link that sends grades (see line_items.passback_from_custom).
PASSBACK_CUSTOM = (CUSTOM_TARGET, CUSTOM_TARGETS)
# A repeat launch only rewrites last_launch_at when it is older than this: fewer writes per launch.
LAUNCH_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class LaunchOutcome:
    """What the session needs after a launch: who, where, as what."""

    enrollment_id: int
    course_id: int
    role: CourseRole
    resource_link_id: int | None
    # The resource link's AGS `lineitem` URL, when the platform sent one (grades may go there).
    line_item_url: str | None = None
    # The link asks for grades (custom lti_pl_target[s]) but no `lineitem` claim named a column.
    needs_line_item: bool = False
    # The course's roster can be read: this launch or an earlier one carried the NRPS claim
    # (Moodle leaves it out until the tool is used in the course).
    roster_offered: bool = False
    # A link placed by hand: a `lineitem` claim, but nothing says what its column holds yet
    # (`services.link_grades`): the teacher is asked, students see "not set up yet".
    needs_grade_setup: bool = False
    # Who launched (the Person row's id): a browser's session holds one person's courses only.
    person_id: int | None = None
    # The enrollment row itself, its course and person loaded: for the page this request renders
    # (not to be kept past it, nor handed to another thread).
    enrollment: Enrollment | None = field(default=None, compare=False, repr=False)


def get_or_create(
    query: Select[tuple[T]],
    create: Callable[[], T],
    *,
    known_absent: bool = False,
    cannot_exist: bool = False,
) -> tuple[T, bool]:
    """The row the query finds, or a new one, and whether this call created it.

    Safe when two first launches race:

    The insert runs in a savepoint: when a concurrent request inserted the same unique key first,
    the savepoint rolls back and the row is read again instead of failing the launch with a 500.
    With `known_absent` (this transaction's read just found no such row) the insert comes first,
    and on SQLite it needs no savepoint: a transaction there is serializable, so no other writer
    can have added the row since that read. With `cannot_exist` no other transaction can write
    the row at all, on any database: its unique key holds a row this transaction created and has
    not committed (an enrollment of a person created a moment ago), so it is inserted at once.
    """
    if cannot_exist or (known_absent and db.session.get_bind().dialect.name == "sqlite"):
        row = create()
        db.session.add(row)
        db.session.flush()
        return row, True
    if not known_absent:
        row = db.session.scalars(query).first()
        if row is not None:
            return row, False
    try:
        with db.session.begin_nested():
            row = create()
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalars(query).first()
        if row is None:
            raise
        return row, False
    return row, True


def _set_if_changed(row: Any, **values: Any) -> None:
    """Assign only what differs, so an unchanged repeat launch writes nothing."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _known_rows_query(with_link: bool) -> Select[tuple[Course, Person, Enrollment, ResourceLink]]:
    link_match = (
        and_(
            ResourceLink.course_id == Course.id,
            ResourceLink.resource_link_id == bindparam("resource_link_id"),
        )
        if with_link
        else false()
    )
    # Outer joins throughout: a new student in a known course still finds the course and link.
    return (
        select(Course, Person, Enrollment, ResourceLink)
        .select_from(Course)
        .outerjoin(
            Person,
            and_(Person.issuer == bindparam("issuer"), Person.subject == bindparam("subject")),
        )
        .outerjoin(
            Enrollment,
            and_(Enrollment.course_id == Course.id, Enrollment.person_id == Person.id),
        )
        .outerjoin(ResourceLink, link_match)
        .where(
            Course.platform_id == bindparam("platform_id"),
            Course.context_id == bindparam("context_id"),
        )
        .limit(1)
    )


# Built once: a launch only binds values (building and hashing a 4-table select costs more).
_KNOWN_ROWS = {with_link: _known_rows_query(with_link) for with_link in (True, False)}


def _known_rows(
    info: LaunchInfo,
) -> tuple[Course | None, Person | None, Enrollment | None, ResourceLink | None]:
    """The launch's course, person, enrollment and resource link as they are, in one query.

    (None, None, None, None) when the course is new; None for each other row that is new (a
    person new to the tool still meets the course and its link here). The caller creates them.
    """
    params = {
        "issuer": info.issuer,
        "subject": info.subject,
        "platform_id": info.platform_id,
        "context_id": info.context_id,
    }
    if info.resource_link_id:
        params["resource_link_id"] = info.resource_link_id
    row = db.session.execute(_KNOWN_ROWS[bool(info.resource_link_id)], params).first()
    if row is None:
        return None, None, None, None
    return row[0], row[1], row[2], row[3]


@functools.cache
def _insert_returning_row(model: type[Any]) -> Any:
    """insert_unless_exists for the model's table, its row loaded as the ORM object (built once)."""
    return select(model).from_statement(insert_unless_exists(model.__table__))


def _insert_or_read(
    model: type[T],
    values: dict[str, Any],
    existing: Callable[[], Select[tuple[T]]],
    *,
    known_absent: bool,
) -> tuple[T, bool]:
    """The new `model` row with `values` (True), or the one `existing()` reads (False).

    An INSERT ... ON CONFLICT DO NOTHING RETURNING the row, its other columns at the model's
    defaults (`insert_values`); a concurrent launch that inserted the same unique key first
    makes it return nothing. One statement on SQLite and PostgreSQL, no unit of work and no
    savepoint (on PostgreSQL a savepoint, the insert and its release were three round trips).
    Elsewhere get_or_create.
    """
    if db.session.get_bind().dialect.name not in UPSERT_DIALECTS:
        return get_or_create(existing(), lambda: model(**values), known_absent=known_absent)
    statement = _insert_returning_row(model)
    row = db.session.scalars(statement, insert_values(model.__table__, values)).first()
    if row is not None:
        return row, True
    return db.session.scalars(existing()).one(), False


def _new_person(
    info: LaunchInfo, names: dict[str, str], *, known_absent: bool
) -> tuple[Person, bool]:
    """The launch's person: inserted (True), or read if a concurrent first launch came first."""
    return _insert_or_read(
        Person,
        {"issuer": info.issuer, "subject": info.subject, **names},
        lambda: select(Person).where(Person.issuer == info.issuer, Person.subject == info.subject),
        known_absent=known_absent,  # the course rows' read looked for this person too
    )


def _new_enrollment(
    course: Course, person: Person, info: LaunchInfo, now: datetime, *, known_absent: bool
) -> Enrollment:
    """The launch's enrollment, born with its launch time (or a concurrent launch's)."""
    enrollment, _ = _insert_or_read(
        Enrollment,
        {
            "course_id": course.id,
            "person_id": person.id,
            "role": str(info.course_role),
            "lti_roles": list(info.roles),
            "last_launch_at": now,
        },
        lambda: select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.person_id == person.id
        ),
        known_absent=known_absent,
    )
    return enrollment


def provision(info: LaunchInfo, now: datetime) -> LaunchOutcome:
    """Create or update everything the launch tells us, and return the session's identity.

    Raises:
        NotAllowedError: the launch carries no role we serve.
    """
    if info.course_role is None:
        raise NotAllowedError("Your role in this course does not give access to this tool.")
    deployment_id = info.deployment_row_id
    if deployment_id is None:
        deployment_id = db.session.scalars(
            select(Deployment.id).where(
                Deployment.platform_id == info.platform_id,
                Deployment.deployment_id == info.deployment_id,
            )
        ).one()
    course, person, enrollment, link = _known_rows(info)
    course_known, course_created = course is not None, False
    if course is None:
        course, course_created = get_or_create(
            select(Course).where(
                Course.platform_id == info.platform_id, Course.context_id == info.context_id
            ),
            lambda: Course(
                platform_id=info.platform_id,
                context_id=info.context_id,
                deployment_id=deployment_id,
                title=info.context_title or "Untitled course",
                method_params={},
            ),
            known_absent=True,
        )
    _set_if_changed(
        course,
        deployment_id=deployment_id,
        title=info.context_title or course.title or "Untitled course",
        label=info.context_label or course.label,
    )
    if info.memberships_url:
        _set_if_changed(course, memberships_url=info.memberships_url)
    if info.line_items_url:
        _set_if_changed(course, line_items_url=info.line_items_url)
    if info.ags_scopes:
        _set_if_changed(course, ags_scopes=list(info.ags_scopes))

    # Names and email only when the platform sends them (privacy settings may withhold them).
    names = {
        a: getattr(info, a)
        for a in ("name", "given_name", "family_name", "email")
        if getattr(info, a)
    }
    person_created = False
    if person is None:
        person, person_created = _new_person(info, names, known_absent=course_known)
    _set_if_changed(person, **names)

    role = info.course_role
    if enrollment is None:
        # The course rows' read found none, or the person is new: no enrollment can exist.
        enrollment = _new_enrollment(
            course, person, info, now, known_absent=course_known or person_created
        )
    _set_if_changed(
        enrollment, role=str(role), lti_roles=list(info.roles), status=EnrollmentStatus.ACTIVE.value
    )
    if enrollment.last_launch_at is None or now - enrollment.last_launch_at > LAUNCH_TOUCH_INTERVAL:
        enrollment.last_launch_at = now

    link_id: int | None = None
    line_item_url: str | None = None
    needs_line_item = False
    needs_setup = False
    if info.resource_link_id:
        if link is None:
            link, _ = get_or_create(
                select(ResourceLink).where(
                    ResourceLink.course_id == course.id,
                    ResourceLink.resource_link_id == info.resource_link_id,
                ),
                lambda: ResourceLink(course_id=course.id, resource_link_id=info.resource_link_id),
                known_absent=course_known,  # the course rows' read looked for the link too
                cannot_exist=course_created,  # a link of a course this launch created
            )
        _set_if_changed(
            link, title=info.resource_link_title or link.title, custom=dict(info.custom)
        )
        if info.line_item_url:
            _set_if_changed(link, line_item_url=info.line_item_url)
        if link.id is None:
            db.session.flush()
        link_id = link.id
        line_item_url = link.line_item_url
        needs_line_item = not line_item_url and any(k in link.custom for k in PASSBACK_CUSTOM)
        needs_setup = needs_grade_setup(link)
    if db.session.dirty or db.session.new:
        db.session.flush()
    if role is CourseRole.OBSERVER and info.mentor_of:
        _link_observer(enrollment, course, info)
    # The page after the launch shows the course and the person: no need to read them again.
    set_committed_value(enrollment, "course", course)
    set_committed_value(enrollment, "person", person)
    return LaunchOutcome(
        enrollment.id,
        course.id,
        role,
        link_id,
        line_item_url,
        needs_line_item,
        roster_offered=bool(course.memberships_url),
        needs_grade_setup=needs_setup,
        person_id=person.id,
        enrollment=enrollment,
    )


def _link_observer(observer: Enrollment, course: Course, info: LaunchInfo) -> None:
    """Record which students (by platform user id) this observer may read."""
    students = db.session.scalars(
        select(Enrollment)
        .join(Person)
        .where(
            Enrollment.course_id == course.id,
            Person.issuer == info.issuer,
            Person.subject.in_(info.mentor_of),
        )
    ).all()
    known = set(
        db.session.scalars(
            select(ObserverLink.student_id).where(ObserverLink.observer_id == observer.id)
        )
    )
    for student in students:
        if student.id not in known:
            db.session.add(ObserverLink(observer_id=observer.id, student_id=student.id))
    db.session.flush()


def course_origin(course_id: int) -> str:
    """The course's issuer and LMS context id ("" for an unknown course), e.g. for store keys."""
    course = db.session.get(Course, course_id)
    return f"{course.platform.issuer}\n{course.context_id}" if course else ""
