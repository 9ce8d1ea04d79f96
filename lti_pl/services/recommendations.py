"""Each student's board in their order, with the reasons, under their structure dial."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from lti_pl.domain.board_instructions import board_instructions
from lti_pl.domain.choice_boards import (
    TIC_TAC_TOE_CELLS,
    ActivityStatus,
    ActivityView,
    BoardLayout,
    BoardProgress,
    board_progress,
)
from lti_pl.domain.profiles import LearningProfile as ProfileView
from lti_pl.domain.profiles import StructureDial, parse_modalities
from lti_pl.domain.recommendations import Recommendation, rank_activities, why
from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityAssignment, ActivityProgress, ChoiceBoard
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import LearningProfile
from lti_pl.services.board_progress import published_board
from lti_pl.services.choice_boards import activity_view, get_board
from lti_pl.services.enrollments import course_students
from lti_pl.services.profiles import dial_for
from lti_pl.services.wall_cells import scale_of


@dataclass(frozen=True)
class PlacedActivity:
    """An activity as one student sees it.

    Attributes:
        activity: the stored activity.
        recommendation: its place and score for the student.
        why: the reasons as a sentence.
        status: the student's status on it.
        reflection: what the student wrote.
    """

    activity: Activity
    recommendation: Recommendation
    why: str
    status: ActivityStatus
    reflection: str


@dataclass(frozen=True)
class StudentBoard:
    """A board ranked for one student.

    Attributes:
        board: the board.
        student: the student.
        dial: their structure dial.
        level_label: their level on the board's target ("" without evidence or target).
        placed: the activities they may see, in their order (locked ones left out for
            students; kept for teachers).
        grid: for tic-tac-toe boards, the visible activities by cell 0..8 (None where hidden).
        progress: must-do / may-do counts.
    """

    board: ChoiceBoard
    student: Enrollment
    dial: StructureDial
    level_label: str
    placed: tuple[PlacedActivity, ...]
    grid: tuple[PlacedActivity | None, ...]
    progress: BoardProgress

    @property
    def instructions(self) -> str:
        """What the student is asked to do, from what they see (domain/board_instructions)."""
        return board_instructions(
            self.progress.must_do_total,
            sum(1 for p in self.placed if p.activity.requirement != "must_do"),
            self.progress.may_do_required,
            assigned=self.dial.value == "assigned",
        )


def student_board(student: Enrollment, board_id: int) -> StudentBoard:
    """A published board ranked for the student; "assigned" students see only their activities.

    Raises:
        NotFoundError: no such published board in the student's course.
    """
    board = published_board(student.course_id, board_id)
    return _rank_many(board, [student], hide_locked=True)[0]


def is_locked_for(student: Enrollment, activity_id: int) -> bool:
    """Whether the student's dial keeps them from this activity."""
    if dial_for(student) is not StructureDial.ASSIGNED:
        return False
    return (
        db.session.scalars(
            select(ActivityAssignment.id).where(
                ActivityAssignment.enrollment_id == student.id,
                ActivityAssignment.activity_id == activity_id,
            )
        ).first()
        is None
    )


def board_rankings(actor: Enrollment, board_id: int) -> list[StudentBoard]:
    """Every student's ranking of a board (the teacher's view), by name.

    Raises:
        NotFoundError: the board is not in the course.
    """
    board = get_board(actor.course_id, board_id)
    return _rank_many(board, course_students(actor.course_id), hide_locked=False)


def preview_board(actor: Enrollment, board_id: int, student: Enrollment) -> StudentBoard:
    """A board of the teacher's course (published or not) as `student` sees it.

    Raises:
        NotFoundError: the board is not in the course.
    """
    board = get_board(actor.course_id, board_id)
    return _rank_many(board, [student], hide_locked=True)[0]


def _rank_many(
    board: ChoiceBoard, students: Sequence[Enrollment], *, hide_locked: bool
) -> list[StudentBoard]:
    """Rank the board for several students with a fixed number of queries."""
    ids = [s.id for s in students]
    activities = list(board.activities)
    views = [activity_view(a) for a in activities]
    by_id = {a.id: a for a in activities}
    activity_ids = list(by_id)
    scale = scale_of(board.course)
    profiles = {
        p.enrollment_id: p
        for p in db.session.scalars(
            select(LearningProfile).where(LearningProfile.enrollment_id.in_(ids))
        )
    }
    records: dict[int, MasteryRecord] = {}
    if board.target_id is not None:
        records = {
            r.enrollment_id: r
            for r in db.session.scalars(
                select(MasteryRecord).where(
                    MasteryRecord.target_id == board.target_id,
                    MasteryRecord.enrollment_id.in_(ids),
                )
            )
        }
    progress_rows: dict[tuple[int, int], ActivityProgress] = {}
    assigned: dict[int, set[int]] = {}
    if activity_ids:
        progress_rows = {
            (p.enrollment_id, p.activity_id): p
            for p in db.session.scalars(
                select(ActivityProgress).where(
                    ActivityProgress.activity_id.in_(activity_ids),
                    ActivityProgress.enrollment_id.in_(ids),
                )
            )
        }
        for row in db.session.scalars(
            select(ActivityAssignment).where(
                ActivityAssignment.activity_id.in_(activity_ids),
                ActivityAssignment.enrollment_id.in_(ids),
            )
        ):
            assigned.setdefault(row.enrollment_id, set()).add(row.activity_id)
    result = []
    for student in students:
        row = profiles.get(student.id)
        profile = (
            ProfileView(
                interests=frozenset(row.interests), modalities=parse_modalities(row.modalities)
            )
            if row
            else ProfileView()
        )
        record = records.get(student.id)
        points = record.score if record is not None else None
        statuses = {
            aid: ActivityStatus(progress_rows[(student.id, aid)].status)
            for aid in activity_ids
            if (student.id, aid) in progress_rows
        }
        dial = dial_for(student)
        ranked = rank_activities(
            views,
            profile=profile,
            level_points=points,
            scale=scale,
            statuses=statuses,
            dial=dial,
            assigned_ids=frozenset(assigned.get(student.id, set())),
        )
        placed = tuple(
            PlacedActivity(
                activity=by_id[rec.activity.id],
                recommendation=rec,
                why=why(rec),
                status=statuses.get(rec.activity.id, ActivityStatus.NOT_STARTED),
                reflection=(
                    progress_rows[(student.id, rec.activity.id)].reflection
                    if (student.id, rec.activity.id) in progress_rows
                    else ""
                ),
            )
            for rec in ranked
            if not (hide_locked and rec.is_locked)
        )
        visible_views = [p.recommendation.activity for p in placed]
        grid: tuple[PlacedActivity | None, ...] = ()
        if board.layout == BoardLayout.TIC_TAC_TOE.value:
            cells: list[PlacedActivity | None] = [None] * TIC_TAC_TOE_CELLS
            for item in placed:
                if 0 <= item.activity.position < TIC_TAC_TOE_CELLS:
                    cells[item.activity.position] = item
            grid = tuple(cells)
        level_label = ""
        if record is not None and record.score is not None:
            level_label = record.label or scale.level_for(record.score).label
        result.append(
            StudentBoard(
                board=board,
                student=student,
                dial=dial,
                level_label=level_label,
                placed=placed,
                grid=grid,
                progress=_progress(visible_views if hide_locked else views, statuses, board),
            )
        )
    return result


def _progress(
    views: Sequence[ActivityView], statuses: dict[int, ActivityStatus], board: ChoiceBoard
) -> BoardProgress:
    # A student on "assigned" may see fewer may-dos than the board asks for: they choose among
    # what they were given.
    may_dos = sum(1 for v in views if not v.is_must_do)
    return board_progress(views, statuses, min(board.choose_n, may_dos))
