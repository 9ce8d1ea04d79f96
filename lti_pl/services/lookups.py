"""Course-scoped lookups: a row of this course by its id, or NotFoundError.

Every id in a URL or a form is checked against the course of the launch here: a row of another
course is "not found" (never 403, which would confirm it exists).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db


class _CourseScoped(Protocol):
    @property
    def course_id(self) -> int: ...


Row = TypeVar("Row", bound=_CourseScoped)


def in_course(model: type[Row], row_id: int, course_id: int, missing: str) -> Row:
    """The `model` row `row_id` when it belongs to course `course_id`.

    Raises:
        NotFoundError: with the `missing` sentence, when there is no such row in the course.
    """
    row = db.session.get(model, row_id)
    if row is None or row.course_id != course_id:
        raise NotFoundError(missing)
    return row


def of_course(model: type[Row], course_id: int, *order_by: Any) -> list[Row]:
    """Every `model` row of course `course_id`, in `order_by` order (column clauses)."""
    column = getattr(model, "course_id")  # noqa: B009 (the class attribute, a column)
    return list(db.session.scalars(select(model).where(column == course_id).order_by(*order_by)))
