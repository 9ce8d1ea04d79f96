"""Station rotations for a class period: planned from current mastery, edited, run, seen.

The schedule itself (groups sized by need, round-robin through the stations, the clock) is
`domain/stations.py`; this module reads mastery and board activities and stores the rotation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from lti_pl.domain import stations as domain
from lti_pl.domain.choice_boards import StationType
from lti_pl.domain.errors import InvalidInputError, NotAllowedError, NotFoundError
from lti_pl.domain.grouping import StudentLevel
from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ChoiceBoard
from lti_pl.models.courses import Enrollment
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import StationRotation
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import course_students
from lti_pl.services.lookups import in_course, of_course
from lti_pl.services.targets import target_in_course

logger = logging.getLogger(__name__)
DEFAULT_SLOT_MINUTES = 15
STATION_LABELS: Mapping[str, str] = {
    StationType.TEACHER_LED.value: "Teacher-led",
    StationType.COLLABORATIVE.value: "Collaborative",
    StationType.INDEPENDENT.value: "Independent",
}
#: The longest a rotation can run (3 slots of 120 minutes): older ones are not "running".
_LONGEST = timedelta(minutes=domain.MAX_SLOT_MINUTES * len(domain.DEFAULT_STATIONS))


_NEAR, _FAR = timedelta(days=-366), timedelta(days=366)  # a start a teacher could mean


def _teacher(actor: Enrollment) -> None:
    if actor.role != "teacher":
        raise NotAllowedError("Only teachers plan rotations.")


def parse_slot_minutes(text: str) -> int:
    """Minutes per station as typed (empty: 15).

    Raises:
        InvalidInputError: field "slot_minutes".
    """
    try:
        minutes = int(text.strip()) if text.strip() else DEFAULT_SLOT_MINUTES
    except ValueError:
        raise InvalidInputError(
            "Type the minutes per station as a whole number.", field="slot_minutes"
        ) from None
    return domain.validate_slot_minutes(minutes)


def parse_start(text: str, offset_minutes: str, *, now: datetime) -> datetime:
    """The start time as typed in a datetime-local field, in UTC; empty: now.

    Args:
        text: "YYYY-MM-DDTHH:MM" in the teacher's time zone.
        offset_minutes: the browser's `Date.getTimezoneOffset()` (UTC minus local, in
            minutes); empty (no script) reads the time as UTC.
        now: the current time (the start when `text` is empty).

    Raises:
        InvalidInputError: field "starts_at".
    """
    if not text.strip():
        return now.replace(microsecond=0)
    try:
        local = datetime.strptime(text.strip()[:16], "%Y-%m-%dT%H:%M")
        offset = int(offset_minutes.strip() or "0")
    except ValueError:
        raise InvalidInputError("Choose a start date and time.", field="starts_at") from None
    if abs(offset) > 16 * 60 or not _NEAR <= local - now.replace(tzinfo=None) <= _FAR:
        raise InvalidInputError("Choose a start within a year of today.", field="starts_at")
    return (local + timedelta(minutes=offset)).replace(tzinfo=UTC)


def _levels(course_id: int, target_id: int) -> list[StudentLevel]:
    points = {
        r.enrollment_id: r.level_points
        for r in db.session.scalars(
            select(MasteryRecord).where(
                MasteryRecord.course_id == course_id, MasteryRecord.target_id == target_id
            )
        )
    }
    return [
        StudentLevel(s.id, s.person.display_name, points.get(s.id))
        for s in course_students(course_id)
    ]


def plan_rotation(
    actor: Enrollment,
    target_id: int,
    *,
    slot_minutes: int,
    starts_at: datetime,
    title: str,
    now: datetime,
) -> StationRotation:
    """Form the groups from current mastery on the target and save the rotation.

    Raises:
        NotAllowedError: not a teacher.
        NotFoundError: the target is not in the course.
        InvalidInputError: a bad slot length.
    """
    _teacher(actor)
    target = target_in_course(actor.course_id, target_id)
    domain.validate_slot_minutes(slot_minutes)
    stations = domain.DEFAULT_STATIONS
    groups = domain.form_groups(
        _levels(actor.course_id, target.id),
        course_scale(actor.course).mastery_points,
        len(stations),
    )
    record = StationRotation(
        course_id=actor.course_id,
        target_id=target.id,
        title=title.strip()[:200] or f"Rotation on {starts_at:%d %b %Y}",
        starts_at=starts_at,
        slot_minutes=slot_minutes,
        stations=[s.value for s in stations],
        groups=_groups_json(groups),
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(record)
    db.session.flush()
    logger.info("rotation planned course=%s rotation=%s", actor.course_id, record.id)
    return record


def move_students(
    actor: Enrollment, rotation_id: int, moves: Mapping[int, int], *, now: datetime
) -> StationRotation:
    """Put students in the groups the teacher picked.

    Raises:
        NotAllowedError: not a teacher.
        NotFoundError: a rotation of another course, or an unknown student or group.
    """
    _teacher(actor)
    record = get_rotation(actor.course_id, rotation_id)
    groups = groups_of(record)
    for enrollment_id, number in sorted(moves.items()):
        groups = domain.move(groups, enrollment_id, number)
    record.groups = _groups_json(groups)
    record.updated_at = now
    db.session.flush()
    logger.info("rotation groups edited rotation=%s moves=%s", record.id, len(moves))
    return record


def end_rotation(actor: Enrollment, rotation_id: int, *, now: datetime) -> StationRotation:
    """End a rotation now (students stop seeing it; it stays listed, finished).

    Raises:
        NotAllowedError: not a teacher.
        NotFoundError: a rotation of another course.
    """
    _teacher(actor)
    record = get_rotation(actor.course_id, rotation_id)
    if record.ended_at is None or record.ended_at > now:
        record.ended_at = now
        record.updated_at = now
        db.session.flush()
        logger.info("rotation ended rotation=%s", record.id)
    return record


def rotations(course_id: int) -> list[StationRotation]:
    """The course's rotations, latest start first."""
    return of_course(
        StationRotation, course_id, StationRotation.starts_at.desc(), StationRotation.id.desc()
    )


def get_rotation(course_id: int, rotation_id: int) -> StationRotation:
    """A rotation of this course.

    Raises:
        NotFoundError: no such rotation in the course.
    """
    return in_course(
        StationRotation, rotation_id, course_id, "That rotation is not in this course."
    )


def groups_of(record: StationRotation) -> tuple[domain.RotationGroup, ...]:
    """The stored groups as domain values."""
    return tuple(
        domain.RotationGroup(
            int(g["number"]),
            tuple(
                StudentLevel(int(s["enrollment_id"]), str(s["name"]), s["level_points"])
                for s in g["students"]
            ),
        )
        for g in record.groups
    )


def _groups_json(groups: Sequence[domain.RotationGroup]) -> list[Any]:
    return [
        {
            "number": g.number,
            "students": [
                {"enrollment_id": s.enrollment_id, "name": s.name, "level_points": s.level_points}
                for s in g.students
            ],
        }
        for g in groups
    ]


def stations_of(record: StationRotation) -> tuple[StationType, ...]:
    """The rotation's stations, in the order group 1 visits them."""
    return tuple(StationType(s) for s in record.stations)


@dataclass(frozen=True)
class Slot:
    """One time slot: when it runs and where each group is (index = group number - 1)."""

    index: int
    starts_at: datetime
    ends_at: datetime
    stations: tuple[StationType, ...]


@dataclass(frozen=True)
class RotationView:
    """A rotation as its pages show it.

    Attributes:
        record: the stored rotation.
        groups: the groups, group 1 first.
        slots: the schedule.
        clock: the rotation at the time of the request.
        activities: published board activities of the target tagged for each station.
    """

    record: StationRotation
    groups: tuple[domain.RotationGroup, ...]
    slots: tuple[Slot, ...]
    clock: domain.Clock
    activities: Mapping[StationType, list[Activity]]

    @property
    def current(self) -> Slot | None:
        """The slot running now."""
        return self.slots[self.clock.slot] if self.clock.slot is not None else None

    @property
    def ends_at(self) -> datetime:
        """When the last slot ends."""
        return self.slots[-1].ends_at


def view(record: StationRotation, *, now: datetime) -> RotationView:
    """The schedule, the clock and the stations' activities of a rotation."""
    stations = stations_of(record)
    groups = groups_of(record)
    length = timedelta(minutes=record.slot_minutes)
    slots = tuple(
        Slot(index, record.starts_at + length * index, record.starts_at + length * (index + 1), row)
        for index, row in enumerate(domain.schedule(len(groups), stations))
    )
    return RotationView(
        record,
        groups,
        slots,
        domain.clock(
            record.starts_at, record.slot_minutes, len(slots), now, ended_at=record.ended_at
        ),
        station_activities(record.target_id, stations),
    )


def station_activities(
    target_id: int | None, stations: Sequence[StationType]
) -> dict[StationType, list[Activity]]:
    """Activities of the target's published boards tagged for each station, in board order."""
    found: dict[StationType, list[Activity]] = {s: [] for s in stations}
    if target_id is None:
        return found
    for activity in db.session.scalars(
        select(Activity)
        .join(ChoiceBoard, Activity.board_id == ChoiceBoard.id)
        .where(
            ChoiceBoard.target_id == target_id,
            ChoiceBoard.is_published.is_(True),
            Activity.station.in_([s.value for s in stations]),
        )
        .order_by(ChoiceBoard.id, Activity.position, Activity.id)
    ):
        found[StationType(activity.station)].append(activity)
    return found


@dataclass(frozen=True)
class WhereNow:
    """A student's place in the rotation running now.

    Attributes:
        rotation: the rotation's view.
        group: the student's group.
        station: where they are this slot.
        next_station: where they go next, None in the last slot.
    """

    rotation: RotationView
    group: domain.RotationGroup
    station: StationType
    next_station: StationType | None

    @property
    def activities(self) -> list[Activity]:
        """What to do at the current station."""
        return self.rotation.activities[self.station]


# Built once (the student's course home reads it on every view): its cache key stays on it.
_MAYBE_RUNNING = (
    select(StationRotation)
    .where(
        StationRotation.course_id == bindparam("course_id"),
        StationRotation.starts_at <= bindparam("now"),
        StationRotation.starts_at > bindparam("since"),
    )
    .order_by(StationRotation.starts_at.desc(), StationRotation.id.desc())
)


def where_now(student: Enrollment, *, now: datetime) -> WhereNow | None:
    """The student's station now, in the course's running rotation they are in (latest start).

    None when no rotation is running or the student is in none.
    """
    candidates = db.session.scalars(
        _MAYBE_RUNNING, {"course_id": student.course_id, "now": now, "since": now - _LONGEST}
    )
    for record in candidates:
        stations = stations_of(record)
        running = domain.clock(
            record.starts_at, record.slot_minutes, len(stations), now, ended_at=record.ended_at
        )
        if running.slot is None:
            continue
        try:
            group = domain.group_of(groups_of(record), student.id)
        except NotFoundError:
            continue
        rotation = view(record, now=now)
        slot = running.slot
        here = stations[domain.station_index(group.number, slot, len(stations))]
        following = (
            stations[domain.station_index(group.number, slot + 1, len(stations))]
            if slot + 1 < len(stations)
            else None
        )
        return WhereNow(rotation, group, here, following)
    return None
