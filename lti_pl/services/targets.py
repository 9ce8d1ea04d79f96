"""Learning targets of a course: create, edit, reorder, archive, CSV import and export."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, Select, func, select
from sqlalchemy.orm import joinedload

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.mastery import CALCULATION_METHODS, validate_params
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.targets import LearningTarget, Unit
from lti_pl.services.lookups import in_course

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("statement", "unit", "standard_code", "case_guid", "calculation_method")
MAX_STATEMENT_CHARS = 500
MAX_UNIT_CHARS = 300
MAX_STANDARD_CHARS = 100
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class TargetFields:
    """A target as a teacher types it (text from a form or a CSV row).

    Attributes:
        statement: the "I can …" text.
        unit: a unit title ("" for none); a new title creates the unit.
        standard_code: e.g. "CCSS.MATH.5.NF.1" ("" for none).
        case_guid: the CASE framework item's GUID ("" for none).
        calculation_method: "" for the course's method, else a key of CALCULATION_METHODS.
        method_params: the method's parameters as text.
        description: optional longer text.
    """

    statement: str
    unit: str = ""
    standard_code: str = ""
    case_guid: str = ""
    calculation_method: str = ""
    method_params: Mapping[str, str] | None = None
    description: str = ""


@dataclass(frozen=True)
class CleanTarget:
    """Validated target fields."""

    statement: str
    unit: str
    standard_code: str
    case_guid: str
    calculation_method: str | None
    method_params: dict[str, float]
    description: str


def clean(fields: TargetFields) -> CleanTarget:
    """Validate a target's fields.

    Raises:
        InvalidInputError: with the field at fault.
    """
    for name in ("statement", "unit", "standard_code", "case_guid", "description"):
        if "\x00" in getattr(fields, name):  # PostgreSQL text cannot hold NUL; a CSV can
            raise InvalidInputError(
                "Remove the invisible NUL character from this text.", field=name
            )
    statement = " ".join(fields.statement.split())
    if not statement:
        raise InvalidInputError(
            "Write the target as an \u201cI can \u2026\u201d statement.", field="statement"
        )
    if len(statement) > MAX_STATEMENT_CHARS:
        raise InvalidInputError(
            f"Keep the statement to {MAX_STATEMENT_CHARS} characters.", field="statement"
        )
    unit = fields.unit.strip()
    if len(unit) > MAX_UNIT_CHARS:
        raise InvalidInputError(f"Keep unit titles to {MAX_UNIT_CHARS} characters.", field="unit")
    code = fields.standard_code.strip()
    if len(code) > MAX_STANDARD_CHARS:
        raise InvalidInputError(
            f"Keep the standard code to {MAX_STANDARD_CHARS} characters.", field="standard_code"
        )
    guid = fields.case_guid.strip()
    if guid and not _GUID.match(guid):
        raise InvalidInputError(
            "A CASE GUID looks like 3f1c2b9e-8d4a-11e9-bc42-526af7764f64.", field="case_guid"
        )
    method = fields.calculation_method.strip() or None
    params: dict[str, float] = {}
    if method is not None:
        if method not in CALCULATION_METHODS:
            raise InvalidInputError(
                f"Unknown calculation method {method!r}; choose one of "
                f"{', '.join(CALCULATION_METHODS)} or leave it blank.",
                field="calculation_method",
            )
        params = validate_params(method, dict(fields.method_params or {}))
    return CleanTarget(
        statement, unit, code, guid.lower(), method, params, fields.description.strip()
    )


def list_targets(
    course_id: int, *, include_archived: bool = False, with_units: bool = False
) -> list[LearningTarget]:
    """The course's targets in teaching order (archived last when included).

    With `with_units` each target's unit comes in the same query (a page that names them).
    """
    query = targets_query(course_id, include_archived=include_archived)
    if with_units:
        query = query.options(joinedload(LearningTarget.unit))
    return list(db.session.scalars(query))


def targets_query(
    course_id: int | BindParameter[int], *, include_archived: bool = False
) -> Select[tuple[LearningTarget]]:
    """The select of `list_targets`, for a read that adds columns to it (a student's levels).

    `course_id` may be a bound parameter, for a statement built once and run for any course.
    """
    query = select(LearningTarget).where(LearningTarget.course_id == course_id)
    if not include_archived:
        query = query.where(LearningTarget.archived_at.is_(None))
    return query.order_by(
        LearningTarget.archived_at.is_not(None), LearningTarget.position, LearningTarget.id
    )


def target_in_course(course_id: int, target_id: int) -> LearningTarget:
    """A learning target of this course (archived or not).

    Raises:
        NotFoundError: no such target in the course.
    """
    return in_course(
        LearningTarget, target_id, course_id, "This learning target does not exist in this course."
    )


def _unit(course_id: int, title: str, cache: dict[str, Unit] | None = None) -> Unit | None:
    if not title:
        return None
    key = title.casefold()
    if cache is not None and key in cache:
        return cache[key]
    unit = next(
        (
            u
            for u in db.session.scalars(select(Unit).where(Unit.course_id == course_id))
            if u.title.casefold() == key
        ),
        None,
    )
    if unit is None:
        position = db.session.scalar(
            select(func.coalesce(func.max(Unit.position), -1)).where(Unit.course_id == course_id)
        )
        unit = Unit(course_id=course_id, title=title, position=int(position or 0) + 1)
        db.session.add(unit)
        db.session.flush()
    if cache is not None:
        cache[key] = unit
    return unit


def _next_position(course_id: int) -> int:
    current = db.session.scalar(
        select(func.max(LearningTarget.position)).where(LearningTarget.course_id == course_id)
    )
    return 0 if current is None else int(current) + 1


def create_target(actor: Enrollment, fields: TargetFields, *, now: datetime) -> LearningTarget:
    """Add a target at the end of the course's list.

    Raises:
        InvalidInputError: a field is invalid.
    """
    values = clean(fields)
    target = LearningTarget(
        course_id=actor.course_id,
        statement=values.statement,
        description=values.description,
        unit=_unit(actor.course_id, values.unit),
        standard_code=values.standard_code,
        case_guid=values.case_guid,
        calculation_method=values.calculation_method,
        method_params=values.method_params,
        position=_next_position(actor.course_id),
        created_at=now,
    )
    db.session.add(target)
    db.session.flush()
    logger.info("target created course=%s target=%s", actor.course_id, target.id)
    return target


def update_target(
    actor: Enrollment, target_id: int, fields: TargetFields, *, now: datetime
) -> LearningTarget:
    """Edit a target; a change of method recomputes its students' mastery.

    Raises:
        NotFoundError: not a target of the actor's course.
        InvalidInputError: a field is invalid.
    """
    target = target_in_course(actor.course_id, target_id)
    values = clean(fields)
    method_changed = (target.calculation_method, dict(target.method_params or {})) != (
        values.calculation_method,
        values.method_params,
    )
    target.statement = values.statement
    target.description = values.description
    target.unit = _unit(actor.course_id, values.unit)
    target.standard_code = values.standard_code
    target.case_guid = values.case_guid
    target.calculation_method = values.calculation_method
    target.method_params = values.method_params
    db.session.flush()
    if method_changed:
        from lti_pl.services.course_recompute import recompute_course

        recompute_course(actor.course_id, now)
    return target


def move_target(actor: Enrollment, target_id: int, direction: str) -> LearningTarget:
    """Move a target one place up or down among the course's active targets.

    Raises:
        NotFoundError: not a target of the actor's course.
        InvalidInputError: direction is not "up" or "down".
    """
    if direction not in {"up", "down"}:
        raise InvalidInputError("Move a target up or down.", field="direction")
    target = target_in_course(actor.course_id, target_id)
    ordered = list_targets(actor.course_id)
    for index, row in enumerate(ordered):
        row.position = index  # normalise: gaps and ties from imports disappear
    index = next((i for i, row in enumerate(ordered) if row.id == target.id), None)
    if index is not None:
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index].position, ordered[other].position = other, index
    db.session.flush()
    return target


def set_archived(
    actor: Enrollment, target_id: int, is_archived: bool, *, now: datetime
) -> LearningTarget:
    """Archive a target (it keeps its evidence) or bring it back."""
    target = target_in_course(actor.course_id, target_id)
    target.archived_at = now if is_archived else None
    if not is_archived:
        target.position = _next_position(actor.course_id)
    db.session.flush()
    return target


def export_csv(course_id: int) -> str:
    """The course's active targets as CSV with the columns of CSV_COLUMNS."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for target in list_targets(course_id):
        writer.writerow(
            [
                _csv_safe(target.statement),
                _csv_safe(target.unit.title if target.unit else ""),
                _csv_safe(target.standard_code),
                target.case_guid,
                target.calculation_method or "",
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _uncsv(value: str) -> str:
    return value[1:] if value[:2] in {"'=", "'+", "'-", "'@"} else value


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import added."""

    targets: int
    units: int

    def summary(self) -> str:
        """The teacher's line ("Added 12 targets in 2 new units.")."""
        units = f" in {self.units} new unit{'s' if self.units != 1 else ''}" if self.units else ""
        return f"Added {self.targets} target{'s' if self.targets != 1 else ''}{units}."


def check_file(text: str) -> int:
    """Check a CSV file's form (not its rows) before it is queued; returns its number of rows.

    Raises:
        InvalidInputError: field "file": empty, no `statement` column, unknown column, not CSV.
    """
    rows = _read_rows(text)
    if not rows:
        raise InvalidInputError("The file has no targets below its header row.", field="file")
    return len(rows)


def import_csv(
    course_id: int,
    text: str,
    *,
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Add targets from CSV; every row is checked first and nothing changes on any error.

    The header must name `statement`; `unit`, `standard_code`, `case_guid` and
    `calculation_method` are optional. Row numbers in errors count the header as row 1.
    `on_progress(checked, total)` is called after each row is checked, before anything is
    written: the caller may commit its own progress there. The targets are then added in the
    caller's transaction.

    Raises:
        InvalidInputError: field "file", listing every bad row ("Row 3: …").
    """
    rows = _read_rows(text)
    errors: list[str] = []
    cleaned: list[CleanTarget] = []
    for checked, (number, row) in enumerate(rows, start=1):
        try:
            cleaned.append(
                clean(
                    TargetFields(
                        statement=_uncsv(row.get("statement") or ""),
                        unit=_uncsv(row.get("unit") or ""),
                        standard_code=_uncsv(row.get("standard_code") or ""),
                        case_guid=row.get("case_guid") or "",
                        calculation_method=row.get("calculation_method") or "",
                    )
                )
            )
        except InvalidInputError as error:
            errors.append(f"Row {number}: {error}")
        if on_progress is not None:
            on_progress(checked, len(rows))
    if errors:
        raise InvalidInputError("Nothing was imported. " + " ".join(errors), field="file")
    if not cleaned:
        raise InvalidInputError("The file has no targets below its header row.", field="file")
    units: dict[str, Unit] = {}
    units_before = _unit_count(course_id)
    position = _next_position(course_id)
    for offset, values in enumerate(cleaned):
        db.session.add(
            LearningTarget(
                course_id=course_id,
                statement=values.statement,
                description="",
                unit=_unit(course_id, values.unit, units),
                standard_code=values.standard_code,
                case_guid=values.case_guid,
                calculation_method=values.calculation_method,
                method_params={},
                position=position + offset,
                created_at=now,
            )
        )
    db.session.flush()
    logger.info("targets imported course=%s count=%s", course_id, len(cleaned))
    return ImportResult(targets=len(cleaned), units=_unit_count(course_id) - units_before)


def _unit_count(course_id: int) -> int:
    count = select(func.count()).select_from(Unit).where(Unit.course_id == course_id)
    return db.session.scalar(count) or 0


def _read_rows(text: str) -> Sequence[tuple[int, dict[str, str]]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidInputError("The file is empty.", field="file")
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if "statement" not in header:
            raise InvalidInputError(
                f"The first row must name the columns: {', '.join(CSV_COLUMNS)}.", field="file"
            )
        unknown = [h for h in header if h and h not in CSV_COLUMNS]
        if unknown:
            raise InvalidInputError(
                f"Unknown column {unknown[0]!r}; the columns are {', '.join(CSV_COLUMNS)}.",
                field="file",
            )
        reader.fieldnames = header
        rows = []
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            if None in row:
                raise InvalidInputError(
                    f"Row {reader.line_num}: more cells than columns.", field="file"
                )
            rows.append((reader.line_num, {k: v or "" for k, v in row.items()}))
    except csv.Error as error:
        raise InvalidInputError(
            f"This is not a readable CSV file ({error}).", field="file"
        ) from None
    return rows
