from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_pl.domain.choice_boards import StationType
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.grouping import StudentLevel
from lti_pl.domain.stations import (
    DEFAULT_STATIONS,
    ClockState,
    clock,
    form_groups,
    group_of,
    move,
    schedule,
)

T = StationType
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def names(group):
    return [s.name for s in group.students]


def test_group_one_is_everyone_below_mastery_and_the_rest_split_by_level():
    students = [
        StudentLevel(1, "Ana", None),  # no evidence: re-teach
        StudentLevel(2, "Ben", 2.9),  # just below mastery: re-teach
        StudentLevel(3, "Cy", 3.0),
        StudentLevel(4, "Dee", 4.0),
        StudentLevel(5, "Eli", 3.2),
        StudentLevel(6, "Fay", 1.0),
        StudentLevel(7, "Gus", 3.9),
    ]
    one, two, three = form_groups(students, 3.0, 3)
    assert (one.number, one.reteach, names(one)) == (1, True, ["Ana", "Ben", "Fay"])
    assert names(two) == ["Cy", "Eli"]  # the lower levels of the rest
    assert names(three) == ["Dee", "Gus"]
    assert not two.reteach


def test_nobody_below_mastery_leaves_group_one_empty_and_few_students_leave_gaps():
    one, two, three = form_groups([StudentLevel(1, "Ana", 4.0)], 3.0, 3)
    assert (names(one), names(two), names(three)) == ([], ["Ana"], [])


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidInputError):
        form_groups([], 3.0, 1)
    with pytest.raises(InvalidInputError):
        form_groups([StudentLevel(1, "A", 1), StudentLevel(1, "A", 2)], 3.0, 3)
    with pytest.raises(InvalidInputError):
        schedule(2, DEFAULT_STATIONS)


def test_groups_rotate_round_robin_and_group_one_starts_with_the_teacher():
    assert schedule(3, DEFAULT_STATIONS) == (
        (T.TEACHER_LED, T.COLLABORATIVE, T.INDEPENDENT),
        (T.COLLABORATIVE, T.INDEPENDENT, T.TEACHER_LED),
        (T.INDEPENDENT, T.TEACHER_LED, T.COLLABORATIVE),
    )


@given(st.lists(st.sampled_from(list(StationType)), min_size=2, max_size=3, unique=True))
def test_each_slot_fills_every_station_once_and_each_group_visits_each_station_once(stations):
    rows = schedule(len(stations), stations)
    for row in rows:
        assert sorted(row) == sorted(stations)
    for group in range(len(stations)):
        assert sorted(row[group] for row in rows) == sorted(stations)


def test_moving_a_student_changes_only_their_group():
    groups = form_groups([StudentLevel(1, "Ana", 1.0), StudentLevel(2, "Ben", 4.0)], 3.0, 3)
    moved = move(groups, 1, 3)
    assert group_of(moved, 1).number == 3
    assert group_of(moved, 2).number == 2
    assert names(moved[0]) == []
    assert move(moved, 1, 3) == moved
    with pytest.raises(NotFoundError):
        move(groups, 1, 9)
    with pytest.raises(NotFoundError):
        move(groups, 99, 2)


def test_the_clock_names_the_slot_and_the_time_to_the_next_rotation():
    upcoming = clock(START, 15, 3, START - timedelta(minutes=2))
    assert (upcoming.state, upcoming.slot) == (ClockState.UPCOMING, None)
    assert upcoming.seconds_left == 120
    first = clock(START, 15, 3, START)
    assert (first.state, first.slot, first.seconds_left) == (ClockState.RUNNING, 0, 900)
    assert first.next_change == START + timedelta(minutes=15)
    second = clock(START, 15, 3, START + timedelta(minutes=15, seconds=0.5))
    assert (second.slot, second.seconds_left) == (1, 900)  # 899.5 s rounds up
    last = clock(START, 15, 3, START + timedelta(minutes=44, seconds=59))
    assert (last.slot, last.seconds_left) == (2, 1)
    done = clock(START, 15, 3, START + timedelta(minutes=45))
    assert (done.state, done.slot, done.next_change) == (ClockState.FINISHED, None, None)


def test_the_clock_refuses_a_slot_length_outside_one_to_120_minutes():
    for minutes in (0, 121):
        with pytest.raises(InvalidInputError) as error:
            clock(START, minutes, 3, START)
        assert error.value.field == "slot_minutes"


def test_a_rotation_the_teacher_ended_is_finished_from_that_moment():
    ended = START + timedelta(minutes=20)
    assert clock(START, 15, 3, ended - timedelta(seconds=1), ended_at=ended).slot == 1
    assert clock(START, 15, 3, ended, ended_at=ended).state is ClockState.FINISHED
