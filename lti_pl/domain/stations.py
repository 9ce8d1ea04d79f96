"""A station rotation as a class period runs it: groups x time slots x stations.

The groups are sized by need: group 1 is every student who needs re-teaching on the day's target
(below mastery, or no evidence yet); the other students are split, by level, into the remaining
groups. There are as many groups and slots as stations, and the groups rotate round-robin: in
slot s, group g is at station (g + s) mod n, so group 1 starts at the teacher's table and every
group visits every station once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lti_pl.domain.choice_boards import StationType
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.grouping import STATION_ORDER, StudentLevel

MIN_SLOT_MINUTES = 1
MAX_SLOT_MINUTES = 120


@dataclass(frozen=True)
class RotationGroup:
    """One group of a rotation.

    Attributes:
        number: 1-based; group 1 needs re-teaching.
        students: sorted by name.
    """

    number: int
    students: tuple[StudentLevel, ...]

    @property
    def reteach(self) -> bool:
        """The group of the students who need re-teaching."""
        return self.number == 1


def needs_reteaching(level_points: float | None, mastery_points: float) -> bool:
    """Below mastery on the target, or no evidence yet."""
    return level_points is None or level_points < mastery_points


def form_groups(
    students: Sequence[StudentLevel], mastery_points: float, station_count: int
) -> tuple[RotationGroup, ...]:
    """`station_count` groups: group 1 needs re-teaching, the rest split by level.

    Students not needing re-teaching are ordered by level (then name) and cut into
    `station_count - 1` consecutive groups whose sizes differ by at most one (earlier groups
    take the extra students), so students at
    similar levels work together. A group may be empty (nobody below mastery, or few students).

    Raises:
        InvalidInputError: fewer than two stations, or a student listed twice.
    """
    if station_count < 2:
        raise InvalidInputError("A rotation needs at least two stations.")
    if len({s.enrollment_id for s in students}) != len(students):
        raise InvalidInputError("A student is listed twice.")
    reteach = [s for s in students if needs_reteaching(s.level_points, mastery_points)]
    rest = sorted(
        (s for s in students if not needs_reteaching(s.level_points, mastery_points)),
        key=lambda s: (s.level_points or 0.0, s.name.casefold(), s.enrollment_id),
    )
    base, extra = divmod(len(rest), station_count - 1)
    sizes = [base + 1 if index < extra else base for index in range(station_count - 1)]
    groups = [RotationGroup(1, _by_name(reteach))]
    start = 0
    for number, size in enumerate(sizes, start=2):
        groups.append(RotationGroup(number, _by_name(rest[start : start + size])))
        start += size
    return tuple(groups)


def station_index(group_number: int, slot: int, station_count: int) -> int:
    """The station (index into the rotation's stations) a group is at in a slot (0-based)."""
    return (group_number - 1 + slot) % station_count


def schedule(
    group_count: int, stations: Sequence[StationType]
) -> tuple[tuple[StationType, ...], ...]:
    """Row per slot, column per group: the station of each group in each slot.

    Raises:
        InvalidInputError: not one group per station.
    """
    if group_count != len(stations):
        raise InvalidInputError("A rotation has one group per station.")
    return tuple(
        tuple(stations[station_index(g, slot, len(stations))] for g in range(1, group_count + 1))
        for slot in range(len(stations))
    )


def move(
    groups: Sequence[RotationGroup], enrollment_id: int, to_number: int
) -> tuple[RotationGroup, ...]:
    """A copy of the groups with one student moved to another group (the teacher's call).

    Raises:
        NotFoundError: unknown student or group.
    """
    if not any(g.number == to_number for g in groups):
        raise NotFoundError("That group is not in this rotation.")
    source = group_of(groups, enrollment_id)
    if source.number == to_number:
        return tuple(groups)
    student = next(s for s in source.students if s.enrollment_id == enrollment_id)
    moved = []
    for group in groups:
        members = [s for s in group.students if s.enrollment_id != enrollment_id]
        if group.number == to_number:
            members.append(student)
        moved.append(RotationGroup(group.number, _by_name(members)))
    return tuple(moved)


def group_of(groups: Sequence[RotationGroup], enrollment_id: int) -> RotationGroup:
    """The group a student is in.

    Raises:
        NotFoundError: the student is not in the rotation.
    """
    for group in groups:
        if any(s.enrollment_id == enrollment_id for s in group.students):
            return group
    raise NotFoundError("That student is not in this rotation.")


class ClockState(StrEnum):
    """Where a rotation is in time."""

    UPCOMING = "upcoming"
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True)
class Clock:
    """A rotation at one moment.

    Attributes:
        state: before the first slot, during one, or after the last.
        slot: the current slot (0-based) while running, else None.
        next_change: when the current slot ends (or the first starts); None when finished.
        seconds_left: whole seconds until `next_change` (rounded up); 0 when finished.
    """

    state: ClockState
    slot: int | None
    next_change: datetime | None
    seconds_left: int


def validate_slot_minutes(minutes: int) -> int:
    """The slot length, if it is a sensible number of minutes.

    Raises:
        InvalidInputError: field "slot_minutes".
    """
    if not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES:
        raise InvalidInputError(
            f"Each station lasts between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES} minutes.",
            field="slot_minutes",
        )
    return minutes


def clock(
    starts_at: datetime,
    slot_minutes: int,
    slots: int,
    now: datetime,
    *,
    ended_at: datetime | None = None,
) -> Clock:
    """The rotation's state at `now`: slot k runs from start + k x length to start + (k+1) x length.

    A rotation the teacher ended (`ended_at`) is finished from that moment.

    Raises:
        InvalidInputError: a slot length outside 1-120 minutes, or no slots.
    """
    validate_slot_minutes(slot_minutes)
    if slots < 1:
        raise InvalidInputError("A rotation needs at least one slot.")
    length = timedelta(minutes=slot_minutes)
    if ended_at is not None and now >= ended_at:
        return Clock(ClockState.FINISHED, None, None, 0)
    if now < starts_at:
        return Clock(ClockState.UPCOMING, None, starts_at, _seconds(starts_at - now))
    slot = int((now - starts_at) // length)
    if slot >= slots:
        return Clock(ClockState.FINISHED, None, None, 0)
    ends = starts_at + length * (slot + 1)
    return Clock(ClockState.RUNNING, slot, ends, _seconds(ends - now))


def ends_at(starts_at: datetime, slot_minutes: int, slots: int) -> datetime:
    """When the last slot ends."""
    return starts_at + timedelta(minutes=slot_minutes * slots)


def _seconds(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds())


def _by_name(students: Sequence[StudentLevel]) -> tuple[StudentLevel, ...]:
    return tuple(sorted(students, key=lambda s: (s.name.casefold(), s.enrollment_id)))


#: The stations of a rotation, in the order group 1 visits them.
DEFAULT_STATIONS: tuple[StationType, ...] = STATION_ORDER
