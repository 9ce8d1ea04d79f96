"""The data wall: every student's current mastery on every target, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.evidence import RequestStatus
from lti_pl.domain.ids import page_count, parse_page
from lti_pl.domain.targets import MasteryScale
from lti_pl.extensions import db
from lti_pl.models.courses import Course
from lti_pl.models.evidence import Evidence, MasteryRecord, ReassessmentRequest
from lti_pl.models.profiles import StationPlanRecord
from lti_pl.models.targets import LearningTarget
from lti_pl.services.enrollments import course_students
from lti_pl.services.profiles import dial_for
from lti_pl.services.targets import list_targets
from lti_pl.services.wall_cells import (
    CellStatus,
    WallCell,
    _CellMaker,
    scale_of,
)


@dataclass(frozen=True)
class WallRow:
    """One student's row.

    Attributes:
        enrollment_id: the student.
        name: display name.
        section: LMS section or group.
        structure: the student's dial value.
        cells: one per target, in target order.
    """

    enrollment_id: int
    name: str
    section: str
    structure: str
    cells: tuple[WallCell, ...]


BANDS = ("mastered", "near", "below", "none")
BAND_LABELS = {
    "mastered": "mastered",
    "near": "near mastery",
    "below": "below mastery",
    "none": "not assessed",
}
PER_PAGE = 50
#: The station types of a saved rotation, in words.
STATION_LABELS = {
    "teacher_led": "Teacher-led",
    "independent": "Independent",
    "collaborative": "Collaborative",
}


@dataclass(frozen=True)
class TargetSummary:
    """How the students on the wall (all pages) stand on one target.

    Attributes:
        target_id: the target.
        counts: students per band ("mastered", "near", "below", "none"), in BANDS order.
    """

    target_id: int
    counts: tuple[int, int, int, int]

    @property
    def total(self) -> int:
        """Students counted."""
        return sum(self.counts)

    def parts(self) -> list[tuple[str, int, float]]:
        """(band, count, percent of the students) for each band, in BANDS order."""
        total = self.total or 1
        return [(b, n, 100.0 * n / total) for b, n in zip(BANDS, self.counts, strict=True)]


@dataclass(frozen=True)
class StationGroupChoice:
    """A group of the latest saved station rotation, as the wall filters by it."""

    key: str
    label: str
    station: str
    members: frozenset[int]


@dataclass(frozen=True)
class DataWall:
    """The whole wall with the filters and sort that made it.

    `rows` holds every student the filters kept (the CSV export reads them all); `page_rows`
    holds the page shown; `summaries` count every kept student, not only the page.
    """

    targets: tuple[LearningTarget, ...]
    rows: tuple[WallRow, ...]
    sections: tuple[str, ...]
    scale: MasteryScale
    sort: str
    descending: bool
    section: str
    status: CellStatus | None
    summaries: tuple[TargetSummary, ...] = ()
    page: int = 1
    per_page: int = PER_PAGE
    groups: tuple[StationGroupChoice, ...] = ()
    group: str = ""
    station: str = ""
    rotation_title: str = ""

    @property
    def pages(self) -> int:
        """Pages of students (at least one)."""
        return page_count(len(self.rows), self.per_page)

    @property
    def page_rows(self) -> tuple[WallRow, ...]:
        """The students of the page shown."""
        start = (self.page - 1) * self.per_page
        return self.rows[start : start + self.per_page]

    @property
    def first_shown(self) -> int:
        """The place of the page's first student (1-based, 0 when empty)."""
        return min(len(self.rows), (self.page - 1) * self.per_page + 1)

    @property
    def stations(self) -> tuple[tuple[str, str], ...]:
        """(value, words) of the stations of the latest rotation."""
        seen = dict.fromkeys(g.station for g in self.groups)
        return tuple((s, STATION_LABELS.get(s, s)) for s in seen)


def build_wall(
    course: Course,
    *,
    sort: str = "student",
    descending: bool = False,
    section: str = "",
    status: str = "",
    group: str = "",
    station: str = "",
    page: str | int = 1,
    per_page: int = PER_PAGE,
    all_evidence_counts: bool = True,
) -> DataWall:
    """Build the data wall of a course.

    Six queries whatever the size: students, targets, mastery records (plain columns, no ORM
    objects), evidence counts, pending reassessment requests and the latest station rotation;
    everything else, the summary row included, is joined and counted in memory.

    Args:
        course: the course.
        sort: "student" (by name) or a target id (by level on that target; no evidence lowest).
        descending: reverse the order.
        section: only students of this section ("" = all).
        status: only students with at least one target in this CellStatus ("" = all).
        group: only students of this group of the latest station rotation ("" = all).
        station: only students at this station in the latest rotation ("" = all).
        page: the page of students shown (1-based; past the last page shows the last).
        per_page: students per page.
        all_evidence_counts: count evidence on every cell (the CSV export); False counts it
            only on cells without a level yet, which is all the page shows (a lighter query).

    Raises:
        InvalidInputError: an unknown status, sort, group or station, or a page that is not a
            whole number.
    """
    try:
        status_filter = CellStatus(status) if status else None
    except ValueError:
        raise InvalidInputError("Choose a status from the list.", field="status") from None
    page_number = parse_page(page)
    scale = scale_of(course)
    students = course_students(course.id)
    targets = list_targets(course.id)
    # Plain Core rows through the session's connection: no ORM loading for 12,000 cells.
    connection = db.session.connection()
    records = {
        (e, t): (score, points, label, mastered)
        for e, t, score, points, label, mastered in connection.execute(
            select(
                MasteryRecord.enrollment_id,
                MasteryRecord.target_id,
                MasteryRecord.score,
                MasteryRecord.level_points,
                MasteryRecord.label,
                MasteryRecord.is_mastered,
            ).where(MasteryRecord.course_id == course.id)
        ).all()
    }
    counting = select(Evidence.enrollment_id, Evidence.target_id, func.count(Evidence.id)).where(
        Evidence.course_id == course.id
    )
    if not all_evidence_counts:
        # The page only says "Not assessed yet" where evidence waits without a level.
        assessed = select(MasteryRecord.id).where(
            MasteryRecord.enrollment_id == Evidence.enrollment_id,
            MasteryRecord.target_id == Evidence.target_id,
            MasteryRecord.score.is_not(None),
        )
        counting = counting.where(~assessed.exists())
    counts = {
        (e, t): n
        for e, t, n in connection.execute(
            counting.group_by(Evidence.enrollment_id, Evidence.target_id)
        ).all()
    }
    ready = {
        (e, t)
        for e, t in connection.execute(
            select(ReassessmentRequest.enrollment_id, ReassessmentRequest.target_id).where(
                ReassessmentRequest.course_id == course.id,
                ReassessmentRequest.status == RequestStatus.PENDING,
            )
        ).all()
    }
    rotation_title, groups = _latest_rotation(course.id)
    members = _station_members(groups, group, station)
    sections = tuple(sorted({s.section for s in students if s.section}))
    make_cell = _CellMaker(scale)
    target_ids = [t.id for t in targets]  # plain ints: no ORM attribute access per cell
    rows = []
    for student in students:
        sid = student.id
        if section and student.section != section:
            continue
        if members is not None and sid not in members:
            continue
        cells = tuple(
            make_cell(records.get((sid, tid)), tid, (sid, tid) in ready, counts.get((sid, tid), 0))
            for tid in target_ids
        )
        if status_filter is not None and not any(c.matches(status_filter) for c in cells):
            continue
        rows.append(
            WallRow(
                enrollment_id=student.id,
                name=student.person.display_name,
                section=student.section,
                structure=dial_for(student).value,
                cells=cells,
            )
        )
    rows = _sorted_rows(rows, targets, sort, descending)
    pages = page_count(len(rows), per_page)
    return DataWall(
        targets=tuple(targets),
        rows=tuple(rows),
        sections=sections,
        scale=scale,
        sort=sort,
        descending=descending,
        section=section,
        status=status_filter,
        summaries=_summaries(targets, rows),
        page=min(page_number, pages),
        per_page=per_page,
        groups=groups,
        group=group,
        station=station,
        rotation_title=rotation_title,
    )


def _latest_rotation(course_id: int) -> tuple[str, tuple[StationGroupChoice, ...]]:
    """The title and groups of the newest saved station rotation (one query)."""
    record = db.session.execute(
        select(StationPlanRecord.title, StationPlanRecord.plan)
        .where(StationPlanRecord.course_id == course_id)
        .order_by(StationPlanRecord.created_at.desc(), StationPlanRecord.id.desc())
        .limit(1)
    ).first()
    if record is None:
        return "", ()
    title, plan = record
    choices = []
    for raw in (plan or {}).get("groups", []):
        key = str(raw.get("key", ""))
        station_value = str(raw.get("station", ""))
        number = key.rsplit("-", 1)[-1]
        label = f"{STATION_LABELS.get(station_value, station_value)} {number}".strip()
        ids = frozenset(
            int(s["enrollment_id"]) for s in raw.get("students", []) if "enrollment_id" in s
        )
        choices.append(StationGroupChoice(key, label, station_value, ids))
    return title, tuple(choices)


def _station_members(
    groups: Sequence[StationGroupChoice], group: str, station: str
) -> frozenset[int] | None:
    """Students kept by the group and station filters (None: no such filter)."""
    if not group and not station:
        return None
    kept: set[int] | None = None
    if group:
        chosen = next((g for g in groups if g.key == group), None)
        if chosen is None:
            raise InvalidInputError("Choose a group of the latest rotation.", field="group")
        kept = set(chosen.members)
    if station:
        at = [g for g in groups if g.station == station]
        if not at:
            raise InvalidInputError("Choose a station of the latest rotation.", field="station")
        ids = set().union(*(g.members for g in at))
        kept = ids if kept is None else kept & ids
    return frozenset(kept or ())


def _summaries(
    targets: Sequence[LearningTarget], rows: Sequence[WallRow]
) -> tuple[TargetSummary, ...]:
    """Students per band on each target, counted over every kept row (no query)."""
    index = {band: i for i, band in enumerate(BANDS)}
    tallies = [[0, 0, 0, 0] for _ in targets]
    for row in rows:
        for i, cell in enumerate(row.cells):
            tallies[i][index[cell.band]] += 1
    return tuple(
        TargetSummary(t.id, (a, b, c, d)) for t, (a, b, c, d) in zip(targets, tallies, strict=True)
    )


def _sorted_rows(
    rows: list[WallRow], targets: Sequence[LearningTarget], sort: str, descending: bool
) -> list[WallRow]:
    if sort in {"", "student"}:
        return sorted(rows, key=lambda r: (r.name.casefold(), r.enrollment_id), reverse=descending)
    index = next((i for i, t in enumerate(targets) if str(t.id) == sort), None)
    if index is None:
        raise InvalidInputError("Sort by a student name or a target on the wall.", field="sort")

    def key(row: WallRow) -> tuple[float, str, int]:
        points = row.cells[index].score
        return (-1.0 if points is None else points, row.name.casefold(), row.enrollment_id)

    ordered = sorted(rows, key=key)
    return list(reversed(ordered)) if descending else ordered
