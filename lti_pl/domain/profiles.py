"""A student's learning profile: interests, preferred modalities, self-assessments and goals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from lti_pl.domain.choice_boards import Modality
from lti_pl.domain.errors import InvalidInputError

#: Most interests a student may list.
MAX_INTERESTS = 10
#: Longest single interest.
MAX_INTEREST_CHARS = 40
#: Longest goal text.
MAX_GOAL_CHARS = 500
#: Furthest ahead a goal may be due.
MAX_GOAL_HORIZON = timedelta(days=366)


class SelfAssessment(StrEnum):
    """How a student rates themself on a target; `label` is what they see."""

    NOT_YET = "not_yet"
    GETTING_THERE = "getting_there"
    GOT_IT = "got_it"
    CAN_TEACH = "can_teach"

    @property
    def label(self) -> str:
        """The student-facing words."""
        return _SELF_ASSESSMENT_LABELS[self]


_SELF_ASSESSMENT_LABELS: Mapping[SelfAssessment, str] = MappingProxyType(
    {
        SelfAssessment.NOT_YET: "I'm not there yet",
        SelfAssessment.GETTING_THERE: "Getting there",
        SelfAssessment.GOT_IT: "Got it",
        SelfAssessment.CAN_TEACH: "I can teach it",
    }
)


class StructureDial(StrEnum):
    """How much choice a student gets on a board, set by the teacher per student."""

    FREE = "free"
    GUIDED = "guided"
    ASSIGNED = "assigned"


class GoalStatus(StrEnum):
    """Where a goal stands."""

    ACTIVE = "active"
    MET = "met"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Goal:
    """A student's goal.

    Attributes:
        target_id: the learning target it is about, or None for a general goal.
        text: what the student wants to achieve.
        due: when.
        status: where it stands.
    """

    target_id: int | None
    text: str
    due: date
    status: GoalStatus = GoalStatus.ACTIVE


@dataclass(frozen=True)
class LearningProfile:
    """What a student told us about how they like to learn.

    Attributes:
        interests: normalized interests (see `normalize_interests`).
        modalities: preferred ways of working.
        self_assessments: learning target id -> the student's own rating.
        goals: the student's goals.
    """

    interests: frozenset[str] = frozenset()
    modalities: frozenset[Modality] = frozenset()
    self_assessments: Mapping[int, SelfAssessment] = field(
        default_factory=lambda: MappingProxyType({})
    )
    goals: tuple[Goal, ...] = ()


def normalize_interests(text: str) -> frozenset[str]:
    """Parse a comma-separated interest list as typed by a student.

    Each interest is trimmed, lower-cased and has inner runs of spaces collapsed; blanks and
    duplicates are dropped.

    Raises:
        InvalidInputError: more than 10 interests, or one longer than 40 characters
            (field "interests").
    """
    interests: list[str] = []
    for raw in text.split(","):
        interest = " ".join(raw.split()).lower()
        if not interest or interest in interests:
            continue
        if len(interest) > MAX_INTEREST_CHARS:
            raise InvalidInputError(
                f"Keep each interest to {MAX_INTEREST_CHARS} characters; "
                f"“{interest[:20]}…” has {len(interest)}.",
                field="interests",
            )
        interests.append(interest)
    if len(interests) > MAX_INTERESTS:
        raise InvalidInputError(
            f"List at most {MAX_INTERESTS} interests; you listed {len(interests)}.",
            field="interests",
        )
    return frozenset(interests)


def parse_modalities(values: Iterable[str]) -> frozenset[Modality]:
    """Turn form values ("watch", "create") into modalities.

    Raises:
        InvalidInputError: a value is not a modality (field "modalities").
    """
    modalities: set[Modality] = set()
    for value in values:
        try:
            modalities.add(Modality(value.strip().lower()))
        except ValueError:
            choices = ", ".join(m.value for m in Modality)
            raise InvalidInputError(
                f"“{value}” is not a way of working; choose from {choices}.", field="modalities"
            ) from None
    return frozenset(modalities)


def validate_goal(text: str, due: date, today: date) -> str:
    """Check a new or edited goal.

    Rules: the text is 1..500 characters after trimming; the due date is today or later and at
    most a year (366 days) away.

    Returns:
        The trimmed text.

    Raises:
        InvalidInputError: with field "text" or "due".
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError("Write what you want to achieve.", field="text")
    if len(cleaned) > MAX_GOAL_CHARS:
        raise InvalidInputError(
            f"Keep your goal to {MAX_GOAL_CHARS} characters; it has {len(cleaned)}.", field="text"
        )
    if due < today:
        raise InvalidInputError("Pick a due date from today on.", field="due")
    if due > today + MAX_GOAL_HORIZON:
        raise InvalidInputError("Pick a due date within the next year.", field="due")
    return cleaned
