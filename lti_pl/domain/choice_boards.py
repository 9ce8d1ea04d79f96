"""Choice boards: must-do / may-do rules, activity progress and readiness bands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.targets import MasteryScale

#: Cells on a tic-tac-toe board.
TIC_TAC_TOE_CELLS = 9
#: Longest activity title a teacher may type.
MAX_TITLE_CHARS = 200
#: Shortest and longest activity length, in minutes.
MIN_ACTIVITY_MINUTES = 1
MAX_ACTIVITY_MINUTES = 240
#: Most may-dos a board may ask a student to choose (a draft may ask for more than it has yet).
MAX_CHOOSE_N = 100


class Modality(StrEnum):
    """How an activity is done; students say which ones they prefer."""

    READ = "read"
    WATCH = "watch"
    LISTEN = "listen"
    PRACTISE = "practise"
    CREATE = "create"
    DISCUSS = "discuss"


class Readiness(StrEnum):
    """Which students an activity is meant for, by where they are on the target."""

    RETEACH = "reteach"
    PRACTICE = "practice"
    EXTENSION = "extension"


class StationType(StrEnum):
    """A station in a station rotation."""

    TEACHER_LED = "teacher_led"
    INDEPENDENT = "independent"
    COLLABORATIVE = "collaborative"


class Requirement(StrEnum):
    """Whether every student does an activity or chooses it."""

    MUST_DO = "must_do"
    MAY_DO = "may_do"


class BoardLayout(StrEnum):
    """How a choice board is shown to students."""

    MENU = "menu"
    TIC_TAC_TOE = "tic_tac_toe"


class ActivityStatus(StrEnum):
    """Where a student is with one activity."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


#: Allowed status changes. DONE -> IN_PROGRESS reopens an activity; nothing goes back to
#: NOT_STARTED, so a teacher never loses the fact that a student began.
STATUS_TRANSITIONS: Mapping[ActivityStatus, frozenset[ActivityStatus]] = MappingProxyType(
    {
        ActivityStatus.NOT_STARTED: frozenset({ActivityStatus.IN_PROGRESS}),
        ActivityStatus.IN_PROGRESS: frozenset({ActivityStatus.DONE}),
        ActivityStatus.DONE: frozenset({ActivityStatus.IN_PROGRESS}),
    }
)

_STATUS_WORDS: Mapping[ActivityStatus, str] = MappingProxyType(
    {
        ActivityStatus.NOT_STARTED: "not started",
        ActivityStatus.IN_PROGRESS: "in progress",
        ActivityStatus.DONE: "done",
    }
)


def advance_status(current: ActivityStatus, new: ActivityStatus) -> ActivityStatus:
    """Check a status change against STATUS_TRANSITIONS.

    Args:
        current: the stored status.
        new: the status asked for.

    Returns:
        The new status.

    Raises:
        InvalidInputError: the change is not allowed (including "changing" to the same status).
    """
    if new not in STATUS_TRANSITIONS[current]:
        raise InvalidInputError(
            f"An activity that is {_STATUS_WORDS[current]} cannot be marked {_STATUS_WORDS[new]}.",
            field="status",
        )
    return new


@dataclass(frozen=True)
class ActivityView:
    """An activity on a choice board, as the domain sees it.

    Attributes:
        id: the stored id.
        title: what students see.
        modality: how the activity is done.
        interests: lower-case interest tags ("drawing", "football").
        readiness: which students it is meant for.
        minutes: the expected time.
        station: the rotation station it belongs to, or None when it is not used in rotations.
        requirement: must-do or may-do.
        position: the teacher's order on the board (0-based on tic-tac-toe boards: cells 0..8).
    """

    id: int
    title: str
    modality: Modality
    interests: frozenset[str]
    readiness: Readiness
    minutes: int
    station: StationType | None
    requirement: Requirement
    position: int

    @property
    def is_must_do(self) -> bool:
        """Whether every student does this activity."""
        return self.requirement is Requirement.MUST_DO


@dataclass(frozen=True)
class BoardProblem:
    """One broken board rule.

    Attributes:
        field: the form field it belongs to.
        message: what is wrong and how to fix it.
    """

    field: str
    message: str


def board_problems(
    layout: BoardLayout, choose_n: int, activities: Sequence[ActivityView]
) -> list[BoardProblem]:
    """Every rule a choice board breaks, in the order a teacher would fix them.

    Rules: at least one activity; a tic-tac-toe board has exactly 9 activities in cells 0..8;
    ids and positions are unique; titles are 1..200 characters; minutes are 1..240; students
    choose between 1 and the number of may-dos (0 when there are none).

    Args:
        layout: the board layout.
        choose_n: how many may-dos a student must choose.
        activities: the activities on the board.

    Returns:
        The problems; empty when the board is valid.
    """
    problems: list[BoardProblem] = []
    if not activities:
        problems.append(BoardProblem("activities", "Add at least one activity to the board."))
    if layout is BoardLayout.TIC_TAC_TOE:
        if len(activities) != TIC_TAC_TOE_CELLS:
            problems.append(
                BoardProblem(
                    "activities",
                    f"A tic-tac-toe board needs exactly {TIC_TAC_TOE_CELLS} activities; "
                    f"this one has {len(activities)}.",
                )
            )
        outside = sorted(a.position for a in activities if not 0 <= a.position < TIC_TAC_TOE_CELLS)
        if outside:
            problems.append(
                BoardProblem(
                    "position",
                    "Tic-tac-toe cells are numbered 0 to 8; move the activities at "
                    f"{_join_and([str(p) for p in outside])}.",
                )
            )
    if any(count > 1 for count in Counter(a.id for a in activities).values()):
        problems.append(
            BoardProblem("activities", "Each activity can appear on the board only once.")
        )
    shared = sorted(p for p, count in Counter(a.position for a in activities).items() if count > 1)
    if shared:
        problems.append(
            BoardProblem(
                "position",
                f"Two activities share position {_join_and([str(p) for p in shared])}; "
                "give each its own place.",
            )
        )
    for activity in activities:
        title = activity.title.strip()
        if not title:
            problems.append(BoardProblem("title", "Give every activity a title."))
        elif len(title) > MAX_TITLE_CHARS:
            problems.append(
                BoardProblem(
                    "title",
                    f"Shorten the title “{title[:40]}…” to {MAX_TITLE_CHARS} characters or fewer.",
                )
            )
        if not MIN_ACTIVITY_MINUTES <= activity.minutes <= MAX_ACTIVITY_MINUTES:
            problems.append(
                BoardProblem(
                    "minutes",
                    f"“{title or 'Untitled'}” takes {activity.minutes} minutes; use between "
                    f"{MIN_ACTIVITY_MINUTES} and {MAX_ACTIVITY_MINUTES}.",
                )
            )
    may_dos = sum(1 for a in activities if not a.is_must_do)
    if may_dos == 0 and choose_n != 0:
        problems.append(
            BoardProblem(
                "choose_n",
                "This board has no may-do activities, so students cannot choose any; "
                "set the number to choose to 0 or add may-dos.",
            )
        )
    elif may_dos > 0 and not 1 <= choose_n <= may_dos:
        problems.append(
            BoardProblem(
                "choose_n",
                f"Students must choose between 1 and {may_dos} may-do "
                f"{'activity' if may_dos == 1 else 'activities'}; you asked for {choose_n}.",
            )
        )
    return problems


def validate_board(layout: BoardLayout, choose_n: int, activities: Sequence[ActivityView]) -> None:
    """Raise if the board breaks a rule of `board_problems`.

    Raises:
        InvalidInputError: all problems in one message; `field` is the first problem's field.
    """
    problems = board_problems(layout, choose_n, activities)
    if problems:
        raise InvalidInputError(" ".join(p.message for p in problems), field=problems[0].field)


@dataclass(frozen=True)
class BoardProgress:
    """A student's progress on one board.

    Attributes:
        must_do_done: must-dos marked done.
        must_do_total: must-dos on the board.
        may_do_done: may-dos marked done.
        may_do_required: how many may-dos the student must choose.
        is_complete: all must-dos done and at least `may_do_required` may-dos done.
        summary: one sentence for the student.
    """

    must_do_done: int
    must_do_total: int
    may_do_done: int
    may_do_required: int
    is_complete: bool
    summary: str

    @property
    def teacher_summary(self) -> str:
        """The sentence for the teacher's pages (the student's speaks to the student)."""
        if self.is_complete:
            return "Board complete: every must-do and enough may-dos done."
        return self.summary


def board_progress(
    activities: Sequence[ActivityView], statuses: Mapping[int, ActivityStatus], choose_n: int
) -> BoardProgress:
    """Count a student's done activities on a board.

    Args:
        activities: the board's activities.
        statuses: activity id -> status; a missing id counts as not started.
        choose_n: how many may-dos the student must choose.

    Returns:
        The counts, whether the board is complete, and a sentence saying so.
    """

    def is_done(activity: ActivityView) -> bool:
        return statuses.get(activity.id, ActivityStatus.NOT_STARTED) is ActivityStatus.DONE

    must_dos = [a for a in activities if a.is_must_do]
    must_done = sum(1 for a in must_dos if is_done(a))
    may_done = sum(1 for a in activities if not a.is_must_do and is_done(a))
    is_complete = must_done == len(must_dos) and may_done >= choose_n
    if is_complete:
        summary = "Board complete: you have done every must-do and enough may-dos."
    else:
        parts = []
        if must_dos:
            parts.append(f"{must_done} of {len(must_dos)} must-dos done")
        if choose_n > 0:
            parts.append(f"{min(may_done, choose_n)} of {choose_n} may-dos chosen and done")
        sentence = " and ".join(parts)
        summary = sentence[:1].upper() + sentence[1:] + "."
    return BoardProgress(
        must_do_done=must_done,
        must_do_total=len(must_dos),
        may_do_done=may_done,
        may_do_required=choose_n,
        is_complete=is_complete,
        summary=summary,
    )


def near_mastery_floor(scale: MasteryScale) -> float:
    """The lowest score that counts as "near mastery": the highest level below the threshold.

    On DEFAULT_SCALE that is 2 (Near Mastery), i.e. mastery - 1. When no level lies below the
    threshold, the threshold itself (nobody is "near").
    """
    below = [level.points for level in scale.levels if level.points < scale.mastery_points]
    return max(below) if below else scale.mastery_points


def readiness_for_level(points: float, scale: MasteryScale) -> Readiness:
    """Which activities fit a student at this score.

    Mastered (points >= mastery) -> EXTENSION; near mastery (near_mastery_floor <= points <
    mastery) -> PRACTICE; below that -> RETEACH. On DEFAULT_SCALE: 0-1.99 reteach, 2-2.99
    practice, 3-4 extension. A student with no evidence is the caller's call (stations put them
    with the teacher; recommendations skip the readiness match).
    """
    if scale.is_mastered(points):
        return Readiness.EXTENSION
    if points >= near_mastery_floor(scale):
        return Readiness.PRACTICE
    return Readiness.RETEACH


def reorder(ids: Sequence[int], moved_id: int, new_index: int) -> list[int]:
    """Move one id to a new index, for keyboard reordering (move up = index - 1).

    Args:
        ids: the current order.
        moved_id: the id to move.
        new_index: where it goes; clamped to the list, so "up" on the first item changes nothing.

    Returns:
        The new order.

    Raises:
        NotFoundError: `moved_id` is not in `ids`.
    """
    if moved_id not in ids:
        raise NotFoundError("That activity is not on this board.")
    rest = [i for i in ids if i != moved_id]
    index = max(0, min(new_index, len(rest)))
    return [*rest[:index], moved_id, *rest[index:]]


def _join_and(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
