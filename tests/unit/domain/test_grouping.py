from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_pl.domain.choice_boards import StationType
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.grouping import (
    StationPlan,
    StudentInterests,
    StudentLevel,
    balanced_sizes,
    group_by_interest,
    move_student,
    propose_stations,
    station_for,
)
from lti_pl.domain.targets import DEFAULT_SCALE


def names(plan: StationPlan) -> dict[str, list[str]]:
    return {g.key: [s.name for s in g.students] for g in plan.groups}


@pytest.mark.parametrize(
    ("points", "station"),
    [
        (None, StationType.TEACHER_LED),
        (0, StationType.TEACHER_LED),
        (1.9, StationType.TEACHER_LED),
        (2, StationType.COLLABORATIVE),
        (2.9, StationType.COLLABORATIVE),
        (3, StationType.INDEPENDENT),
        (4, StationType.INDEPENDENT),
    ],
)
def test_station_follows_level(points, station):
    assert station_for(points, DEFAULT_SCALE) is station


@pytest.mark.parametrize(
    ("count", "max_size", "sizes"),
    [
        (0, 4, []),
        (3, 4, [3]),
        (4, 4, [4]),
        (7, 4, [4, 3]),
        (9, 4, [3, 3, 3]),
        (10, 3, [3, 3, 2, 2]),
    ],
)
def test_sizes_are_balanced(count, max_size, sizes):
    assert balanced_sizes(count, max_size) == sizes


def test_students_placed_by_level_and_sorted_by_name():
    students = [
        StudentLevel(1, "Zoe", 1.0),
        StudentLevel(2, "adam", None),
        StudentLevel(3, "Maya", 2.5),
        StudentLevel(4, "Ben", 3.5),
        StudentLevel(5, "Chloe", 0.5),
    ]
    plan = propose_stations(students, DEFAULT_SCALE, max_group_size=4)
    assert names(plan) == {
        "teacher_led-1": ["adam", "Chloe", "Zoe"],
        "collaborative-1": ["Maya"],
        "independent-1": ["Ben"],
    }
    assert [g.station for g in plan.groups] == [
        StationType.TEACHER_LED,
        StationType.COLLABORATIVE,
        StationType.INDEPENDENT,
    ]


def test_seven_students_split_four_and_three_by_level():
    students = [StudentLevel(i, f"S{i}", 0.1 * i) for i in range(7)]
    plan = propose_stations(students, DEFAULT_SCALE, max_group_size=4)
    assert [len(g.students) for g in plan.groups] == [4, 3]
    # Closest levels share a group: the four lowest scores, then the rest.
    assert [s.enrollment_id for s in plan.groups[0].students] == [0, 1, 2, 3]


def test_empty_station_gets_no_group():
    plan = propose_stations([StudentLevel(1, "A", 3.0)], DEFAULT_SCALE, max_group_size=3)
    assert [g.key for g in plan.groups] == ["independent-1"]


def test_proposal_refused_with_group_size_below_one():
    with pytest.raises(InvalidInputError) as error:
        propose_stations([], DEFAULT_SCALE, max_group_size=0)
    assert error.value.field == "max_group_size"


def test_proposal_refused_with_student_listed_twice():
    with pytest.raises(InvalidInputError, match="twice"):
        propose_stations(
            [StudentLevel(1, "A", 1), StudentLevel(1, "A", 1)], DEFAULT_SCALE, max_group_size=3
        )


def test_moving_a_student_returns_a_new_plan():
    students = [
        StudentLevel(1, "Zoe", 1.0),
        StudentLevel(2, "Ada", 3.2),
        StudentLevel(3, "Bo", 3.3),
    ]
    plan = propose_stations(students, DEFAULT_SCALE, max_group_size=4)
    moved = move_student(plan, 1, "independent-1")
    assert names(moved) == {"teacher_led-1": [], "independent-1": ["Ada", "Bo", "Zoe"]}
    assert names(plan) == {"teacher_led-1": ["Zoe"], "independent-1": ["Ada", "Bo"]}
    assert moved.group_of(1).key == "independent-1"
    assert move_student(plan, 2, "independent-1") is plan


def test_moving_refused_for_unknown_student_or_group():
    plan = propose_stations([StudentLevel(1, "Zoe", 1.0)], DEFAULT_SCALE, max_group_size=4)
    with pytest.raises(NotFoundError, match="student"):
        move_student(plan, 99, "teacher_led-1")
    with pytest.raises(NotFoundError, match="group"):
        move_student(plan, 1, "independent-7")


students_strategy = st.lists(
    st.builds(
        StudentLevel,
        enrollment_id=st.integers(0, 10_000),
        name=st.text(min_size=1, max_size=8),
        level_points=st.one_of(st.none(), st.floats(min_value=0, max_value=4)),
    ),
    max_size=40,
    unique_by=lambda s: s.enrollment_id,
)


@given(students_strategy, st.integers(min_value=1, max_value=8))
def test_every_student_placed_once_in_balanced_groups(students, max_group_size):
    plan = propose_stations(students, DEFAULT_SCALE, max_group_size=max_group_size)
    placed = Counter(s.enrollment_id for g in plan.groups for s in g.students)
    assert placed == Counter(s.enrollment_id for s in students)
    assert all(1 <= len(g.students) <= max_group_size for g in plan.groups)
    for station in StationType:
        sizes = [len(g.students) for g in plan.groups if g.station is station]
        if sizes:
            assert max(sizes) - min(sizes) <= 1
    for group in plan.groups:
        assert all(
            station_for(s.level_points, DEFAULT_SCALE) is group.station for s in group.students
        )
        keys = [(s.name.casefold(), s.enrollment_id) for s in group.students]
        assert keys == sorted(keys)


def test_interest_groups_form_around_shared_interests():
    students = [
        StudentInterests(1, "Ana", frozenset({"music", "drawing"})),
        StudentInterests(2, "Ben", frozenset({"music"})),
        StudentInterests(3, "Cy", frozenset({"music"})),
        StudentInterests(4, "Di", frozenset({"drawing", "chess"})),
        StudentInterests(5, "Ed", frozenset({"drawing"})),
        StudentInterests(6, "Flo", frozenset({"chess"})),
        StudentInterests(7, "Gus", frozenset()),
    ]
    groups = group_by_interest(students, max_group_size=4)
    assert [(g.key, g.interest, [s.name for s in g.students]) for g in groups] == [
        ("interest-drawing-1", "drawing", ["Ana", "Di", "Ed"]),
        ("interest-music-1", "music", ["Ben", "Cy"]),
        ("mixed-1", None, ["Flo", "Gus"]),
    ]


def test_large_interest_group_is_split_evenly():
    students = [StudentInterests(i, f"S{i:02}", frozenset({"football"})) for i in range(7)]
    groups = group_by_interest(students, max_group_size=3)
    assert [len(g.students) for g in groups] == [3, 2, 2]
    assert [g.key for g in groups] == [
        "interest-football-1",
        "interest-football-2",
        "interest-football-3",
    ]


def test_interest_grouping_refused_with_group_size_below_one():
    with pytest.raises(InvalidInputError):
        group_by_interest([], max_group_size=0)
