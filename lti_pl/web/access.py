"""Who is asking: the launch stored in the session, per course, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request, session
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.ids import parse_id
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Enrollment
from lti_pl.services.enrollments import student_in_course

F = TypeVar("F", bound=Callable[..., Any])
# Every course page shows its course: read with the enrollment, in the same statement. Built once:
# SQLAlchemy keeps a statement's cache key on the statement, so a page does not rebuild and
# re-key it (building and keying a course home's selects was about a fifth of its CPU).
_ENROLLMENT_WITH_COURSE = (
    select(Enrollment)
    .options(joinedload(Enrollment.course))
    .where(Enrollment.id == bindparam("enrollment_id"))
)
MAX_COURSES_IN_SESSION = 20
ENROLLMENT_KEY = "lti_pl.enrollment"  # this request's enrollment, once read


def remember_launch(
    course_id: int, enrollment_id: int, role: CourseRole, enrollment: Enrollment | None = None
) -> None:
    """Record in the session that this browser launched into this course as this enrollment.

    With `enrollment` (the row the launch just wrote) the page this request renders uses it as
    it is, instead of reading it again.
    """
    if enrollment is not None:
        request.environ[ENROLLMENT_KEY] = enrollment
    launches = dict(session.get("launches", {}))
    launches.pop(str(course_id), None)
    launches[str(course_id)] = {"e": enrollment_id, "r": str(role)}
    while len(launches) > MAX_COURSES_IN_SESSION:
        launches.pop(next(iter(launches)))
    session["launches"] = launches


def current_enrollment() -> Enrollment:
    """The enrollment of the course in the URL, as launched in this browser.

    Raises:
        NotAllowedError: no launch into that course from this browser.
    """
    cached = request.environ.get(ENROLLMENT_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    course_id = (request.view_args or {}).get("course_id")
    entry = session.get("launches", {}).get(str(course_id)) if course_id is not None else None
    if not entry:
        raise NotAllowedError(
            "You have not opened this course from your LMS in this browser. "
            "Open the tool from the course in your LMS."
        )
    enrollment = db.session.scalars(
        _ENROLLMENT_WITH_COURSE, {"enrollment_id": int(entry["e"])}
    ).one_or_none()
    if (
        enrollment is None
        or enrollment.course_id != course_id
        or enrollment.status == EnrollmentStatus.DELETED
    ):
        raise NotAllowedError("Your enrollment in this course is no longer active.")
    request.environ[ENROLLMENT_KEY] = enrollment
    return enrollment


def current_enrollment_or_none() -> Enrollment | None:
    """The enrollment of the course in the URL when this browser launched into it, else None.

    For templates (menus by role); views use current_enrollment(), which refuses instead.
    """
    if not (request.view_args or {}).get("course_id"):
        return None
    try:
        return current_enrollment()
    except NotAllowedError:
        return None


def requires_role(*roles: CourseRole) -> Callable[[F], F]:
    """Allow only the given course roles (from the launch) to use the view."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            enrollment = current_enrollment()
            if CourseRole(enrollment.role) not in roles:
                raise NotAllowedError("This page is not available for your role in this course.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def query_id(name: str) -> int | None:
    """A row id from the query string: None when none is given.

    Raises:
        InvalidInputError: the value is not an id (a broken or edited link: 422).
    """
    text = request.args.get(name, "")
    value = parse_id(text)
    if text and value is None:
        raise InvalidInputError("That link is broken: open the page again.", field=name)
    return value


def query_student(actor: Enrollment) -> Enrollment | None:
    """The student a teacher's list is narrowed to (`?student=<enrollment id>`), if any.

    Raises:
        InvalidInputError: not an id (422).
        NotFoundError: no student of the actor's course (404).
    """
    student_id = query_id("student")
    return None if student_id is None else student_in_course(actor.course_id, student_id)
