import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.paths import (
    PathStep,
    StepState,
    find_cycle,
    path_status,
    validate_prerequisites,
)

L, A, M = StepState.LOCKED, StepState.AVAILABLE, StepState.MASTERED

# 10 -> 20 -> 40 and 10 -> 30; 30 has no link to 20.
PATH = [
    PathStep(10, 1),
    PathStep(20, 2, frozenset({10})),
    PathStep(30, 3, frozenset({10})),
    PathStep(40, 4, frozenset({20})),
]


def states(statuses):
    return [(s.step.target_id, s.state) for s in statuses]


def test_first_steps_available_and_dependants_locked():
    statuses = path_status(PATH, set())
    assert states(statuses) == [(10, A), (20, L), (30, L), (40, L)]
    assert statuses[1].waiting_for == (10,)


def test_mastering_a_prerequisite_unlocks_its_dependants():
    assert states(path_status(PATH, {10})) == [(10, M), (20, A), (30, A), (40, L)]


def test_sequential_path_also_waits_for_the_previous_step():
    statuses = path_status(PATH, {10, 20}, is_sequential=True)
    assert states(statuses) == [(10, M), (20, M), (30, A), (40, L)]
    assert statuses[3].waiting_for == (30,)
    assert states(path_status(PATH, {10, 20})) == [(10, M), (20, M), (30, A), (40, A)]


def test_mastered_out_of_order_still_counts():
    assert states(path_status(PATH, {40})) == [(10, A), (20, L), (30, L), (40, M)]


def test_steps_reported_in_position_order():
    shuffled = [PATH[3], PATH[0], PATH[2], PATH[1]]
    assert [s.step.target_id for s in path_status(shuffled, set())] == [10, 20, 30, 40]


def test_valid_path_passes():
    validate_prerequisites(PATH)
    validate_prerequisites(PATH, is_sequential=True)


def test_cycle_refused_naming_the_circle():
    steps = [
        PathStep(1, 1, frozenset({3})),
        PathStep(2, 2, frozenset({1})),
        PathStep(3, 3, frozenset({2})),
    ]
    names = {1: "I can add", 2: "I can subtract", 3: "I can multiply"}
    with pytest.raises(InvalidInputError) as error:
        validate_prerequisites(steps, names=names)
    assert error.value.field == "prerequisites"
    assert str(error.value).endswith(
        "in a circle, so nobody could start them: "
        "I can add → I can multiply → I can subtract → I can add."
    )


def test_self_prerequisite_is_a_cycle():
    assert find_cycle([PathStep(5, 1, frozenset({5}))]) == (5, 5)
    with pytest.raises(InvalidInputError, match="target 5 → target 5"):
        validate_prerequisites([PathStep(5, 1, frozenset({5}))])


def test_no_cycle_in_a_diamond():
    diamond = [
        PathStep(1, 1),
        PathStep(2, 2, frozenset({1})),
        PathStep(3, 3, frozenset({1})),
        PathStep(4, 4, frozenset({2, 3})),
    ]
    assert find_cycle(diamond) is None


def test_unknown_prerequisite_refused():
    with pytest.raises(
        InvalidInputError, match="target 20 depends on target 99, which is not on this path"
    ):
        validate_prerequisites([PathStep(10, 1), PathStep(20, 2, frozenset({99}))])


def test_target_twice_refused():
    with pytest.raises(InvalidInputError, match="target 10 is on the path twice") as error:
        validate_prerequisites([PathStep(10, 1), PathStep(10, 2)])
    assert error.value.field == "steps"


def test_shared_position_refused():
    with pytest.raises(InvalidInputError, match="share a position") as error:
        validate_prerequisites([PathStep(10, 1), PathStep(20, 1)])
    assert error.value.field == "position"


def test_sequential_path_refuses_prerequisite_that_comes_later():
    steps = [PathStep(10, 1, frozenset({20})), PathStep(20, 2)]
    validate_prerequisites(steps)
    with pytest.raises(InvalidInputError, match="comes later on this path"):
        validate_prerequisites(steps, is_sequential=True)
