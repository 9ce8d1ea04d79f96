"""Station rotation groups by level, and groups by shared interest."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from lti_pl.domain.choice_boards import Readiness, StationType, readiness_for_level
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.targets import MasteryScale

#: Readiness band -> station. Students below near mastery work with the teacher; near-mastery
#: students practise together; students who have mastered the target extend on their own.
STATION_FOR_READINESS: Mapping[Readiness, StationType] = MappingProxyType(
    {
        Readiness.RETEACH: StationType.TEACHER_LED,
        Readiness.PRACTICE: StationType.COLLABORATIVE,
        Readiness.EXTENSION: StationType.INDEPENDENT,
    }
)
#: The order stations appear in a plan.
STATION_ORDER: tuple[StationType, ...] = (
    StationType.TEACHER_LED,
    StationType.COLLABORATIVE,
    StationType.INDEPENDENT,
)


@dataclass(frozen=True)
class StudentLevel:
    """A student and their current score on the target being grouped for.

    Attributes:
        enrollment_id: the student's enrollment.
        name: the display name (sorting only).
        level_points: the current score, or None without evidence.
    """

    enrollment_id: int
    name: str
    level_points: float | None


@dataclass(frozen=True)
class StationGroup:
    """One group at one station.

    Attributes:
        key: stable within a plan: "<station>-<n>", n from 1 ("teacher_led-2").
        station: the station.
        students: sorted by name.
    """

    key: str
    station: StationType
    students: tuple[StudentLevel, ...]


@dataclass(frozen=True)
class StationPlan:
    """A proposed station rotation: groups in STATION_ORDER, then by key number.

    Attributes:
        groups: the groups; a group emptied by `move_student` stays, so keys do not shift.
    """

    groups: tuple[StationGroup, ...]

    def group_of(self, enrollment_id: int) -> StationGroup:
        """The group a student is in.

        Raises:
            NotFoundError: the student is not in the plan.
        """
        for group in self.groups:
            if any(s.enrollment_id == enrollment_id for s in group.students):
                return group
        raise NotFoundError("That student is not in this rotation.")


def station_for(level_points: float | None, scale: MasteryScale) -> StationType:
    """The station for a score: no evidence goes to the teacher, like a score below near mastery.

    On DEFAULT_SCALE: None or < 2 teacher-led, 2 to < 3 collaborative, >= 3 independent.
    """
    if level_points is None:
        return StationType.TEACHER_LED
    return STATION_FOR_READINESS[readiness_for_level(level_points, scale)]


def balanced_sizes(count: int, max_group_size: int) -> list[int]:
    """Split `count` into the fewest groups of at most `max_group_size`, sizes differing by <= 1.

    7 students, max 4 -> [4, 3]; 9, max 4 -> [3, 3, 3]; 0 -> [].
    """
    if count <= 0:
        return []
    groups = math.ceil(count / max_group_size)
    base, extra = divmod(count, groups)
    return [base + 1 if index < extra else base for index in range(groups)]


def propose_stations(
    students: Sequence[StudentLevel], scale: MasteryScale, *, max_group_size: int
) -> StationPlan:
    """Place each student at a station by level and split stations into balanced groups.

    Within a station, students are ordered by score (no evidence lowest), then name, and cut
    into consecutive groups, so students at similar levels work together; each group is then
    sorted by name.

    Raises:
        InvalidInputError: `max_group_size` below 1 (field "max_group_size"), or a student
            listed twice.
    """
    if max_group_size < 1:
        raise InvalidInputError(
            "Groups need room for at least one student.", field="max_group_size"
        )
    if len({s.enrollment_id for s in students}) != len(students):
        raise InvalidInputError("A student is listed twice.")
    groups: list[StationGroup] = []
    for station in STATION_ORDER:
        members = sorted(
            (s for s in students if station_for(s.level_points, scale) is station),
            key=lambda s: (
                -math.inf if s.level_points is None else s.level_points,
                _name_key(s.name),
                s.enrollment_id,
            ),
        )
        start = 0
        for number, size in enumerate(balanced_sizes(len(members), max_group_size), start=1):
            chunk = members[start : start + size]
            start += size
            groups.append(StationGroup(f"{station.value}-{number}", station, _by_name(chunk)))
    return StationPlan(tuple(groups))


def move_student(plan: StationPlan, enrollment_id: int, to_group_key: str) -> StationPlan:
    """A copy of the plan with one student moved to another group (a teacher's override).

    The group size limit is not enforced: the teacher may knowingly make a group bigger.

    Raises:
        NotFoundError: unknown student or group key.
    """
    if not any(group.key == to_group_key for group in plan.groups):
        raise NotFoundError("That group is not in this rotation.")
    source = plan.group_of(enrollment_id)
    if source.key == to_group_key:
        return plan
    student = next(s for s in source.students if s.enrollment_id == enrollment_id)
    moved: list[StationGroup] = []
    for group in plan.groups:
        if group.key == source.key:
            group = replace(
                group,
                students=tuple(s for s in group.students if s.enrollment_id != enrollment_id),
            )
        elif group.key == to_group_key:
            group = replace(group, students=_by_name([*group.students, student]))
        moved.append(group)
    return StationPlan(tuple(moved))


@dataclass(frozen=True)
class StudentInterests:
    """A student and their interests, for interest groups.

    Attributes:
        enrollment_id: the student's enrollment.
        name: the display name (sorting only).
        interests: normalized interests.
    """

    enrollment_id: int
    name: str
    interests: frozenset[str]


@dataclass(frozen=True)
class InterestGroup:
    """Students who share an interest.

    Attributes:
        key: "interest-<interest>-<n>", or "mixed-<n>" for students placed by no shared interest.
        interest: the shared interest, or None for a mixed group.
        students: sorted by name.
    """

    key: str
    interest: str | None
    students: tuple[StudentInterests, ...]


def group_by_interest(
    students: Sequence[StudentInterests], max_group_size: int
) -> list[InterestGroup]:
    """Group students by a shared interest, most widely shared interests first.

    Greedy: take the interest most unplaced students share (ties by interest name); if at least
    two share it, they form balanced groups of at most `max_group_size`. Repeat. Students left
    over (no interest shared with another unplaced student) form balanced "mixed" groups.

    Raises:
        InvalidInputError: `max_group_size` below 1, or a student listed twice.
    """
    if max_group_size < 1:
        raise InvalidInputError(
            "Groups need room for at least one student.", field="max_group_size"
        )
    if len({s.enrollment_id for s in students}) != len(students):
        raise InvalidInputError("A student is listed twice.")
    unplaced = sorted(students, key=lambda s: (_name_key(s.name), s.enrollment_id))
    groups: list[InterestGroup] = []
    while True:
        counts = Counter(i for s in unplaced for i in s.interests)
        shared = [(n, i) for i, n in counts.items() if n >= 2]
        if not shared:
            break
        _, interest = min(shared, key=lambda pair: (-pair[0], pair[1]))
        members = [s for s in unplaced if interest in s.interests]
        unplaced = [s for s in unplaced if interest not in s.interests]
        groups.extend(_split(members, max_group_size, f"interest-{interest}", interest))
    groups.extend(_split(unplaced, max_group_size, "mixed", None))
    return groups


def _split(
    members: Sequence[StudentInterests], max_group_size: int, prefix: str, interest: str | None
) -> list[InterestGroup]:
    """Cut name-sorted members into balanced interest groups."""
    groups = []
    start = 0
    for number, size in enumerate(balanced_sizes(len(members), max_group_size), start=1):
        chunk = tuple(members[start : start + size])
        start += size
        groups.append(InterestGroup(f"{prefix}-{number}", interest, chunk))
    return groups


def _name_key(name: str) -> str:
    return name.casefold()


def _by_name(students: Sequence[StudentLevel]) -> tuple[StudentLevel, ...]:
    return tuple(sorted(students, key=lambda s: (_name_key(s.name), s.enrollment_id)))
