import pytest

from lti_pl.domain.choice_boards import (
    ActivityStatus,
    ActivityView,
    BoardLayout,
    Modality,
    Readiness,
    Requirement,
    StationType,
    advance_status,
    board_problems,
    board_progress,
    near_mastery_floor,
    readiness_for_level,
    reorder,
    validate_board,
)
from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.domain.targets import DEFAULT_SCALE, MasteryScale


def activity(
    id_: int,
    *,
    requirement: Requirement = Requirement.MAY_DO,
    position: int | None = None,
    title: str = "Draw the water cycle",
    minutes: int = 20,
) -> ActivityView:
    return ActivityView(
        id=id_,
        title=title,
        modality=Modality.CREATE,
        interests=frozenset({"drawing"}),
        readiness=Readiness.PRACTICE,
        minutes=minutes,
        station=StationType.INDEPENDENT,
        requirement=requirement,
        position=id_ if position is None else position,
    )


S = ActivityStatus


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.NOT_STARTED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.DONE),
        (S.DONE, S.IN_PROGRESS),
    ],
    ids=["start", "finish", "reopen"],
)
def test_status_changes_along_allowed_transitions(current, new):
    assert advance_status(current, new) is new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.NOT_STARTED, S.DONE),
        (S.IN_PROGRESS, S.NOT_STARTED),
        (S.DONE, S.NOT_STARTED),
        (S.DONE, S.DONE),
        (S.NOT_STARTED, S.NOT_STARTED),
    ],
    ids=["skip-start", "unstart", "reset-done", "done-again", "same"],
)
def test_status_change_refused_outside_transitions(current, new):
    with pytest.raises(InvalidInputError, match="cannot be marked") as error:
        advance_status(current, new)
    assert error.value.field == "status"


def test_menu_board_with_must_and_may_dos_is_valid():
    activities = [activity(1, requirement=Requirement.MUST_DO), activity(2), activity(3)]
    assert board_problems(BoardLayout.MENU, 2, activities) == []
    validate_board(BoardLayout.MENU, 2, activities)


def test_tic_tac_toe_board_with_nine_cells_is_valid():
    activities = [activity(i, position=i) for i in range(9)]
    validate_board(BoardLayout.TIC_TAC_TOE, 3, activities)


@pytest.mark.parametrize("count", [8, 10])
def test_tic_tac_toe_board_refused_without_exactly_nine_activities(count):
    activities = [activity(i, position=i) for i in range(count)]
    with pytest.raises(InvalidInputError, match=f"exactly 9 activities; this one has {count}"):
        validate_board(BoardLayout.TIC_TAC_TOE, 3, activities)


def test_tic_tac_toe_board_refused_with_position_outside_cells():
    activities = [activity(i, position=i + 1) for i in range(9)]
    problems = board_problems(BoardLayout.TIC_TAC_TOE, 3, activities)
    assert [p.field for p in problems] == ["position"]
    assert "numbered 0 to 8" in problems[0].message


def test_empty_board_refused():
    with pytest.raises(InvalidInputError, match="at least one activity"):
        validate_board(BoardLayout.MENU, 0, [])


@pytest.mark.parametrize("choose_n", [0, 3, -1])
def test_choose_n_refused_outside_one_to_may_do_count(choose_n):
    activities = [activity(1, requirement=Requirement.MUST_DO), activity(2), activity(3)]
    with pytest.raises(InvalidInputError, match="between 1 and 2 may-do activities") as error:
        validate_board(BoardLayout.MENU, choose_n, activities)
    assert error.value.field == "choose_n"


def test_choose_n_must_be_zero_without_may_dos():
    activities = [activity(1, requirement=Requirement.MUST_DO)]
    validate_board(BoardLayout.MENU, 0, activities)
    with pytest.raises(InvalidInputError, match="no may-do activities"):
        validate_board(BoardLayout.MENU, 1, activities)


def test_board_refused_with_duplicate_activity_or_shared_position():
    problems = board_problems(
        BoardLayout.MENU, 1, [activity(1, position=0), activity(1, position=0)]
    )
    messages = " ".join(p.message for p in problems)
    assert "only once" in messages
    assert "share position 0" in messages


def test_board_refused_with_blank_title_or_bad_minutes():
    problems = board_problems(
        BoardLayout.MENU,
        1,
        [activity(1, title="  "), activity(2, minutes=0), activity(3, minutes=241)],
    )
    assert [p.field for p in problems] == ["title", "minutes", "minutes"]
    assert "Give every activity a title." in problems[0].message


def test_board_refused_with_overlong_title():
    problems = board_problems(BoardLayout.MENU, 1, [activity(1, title="x" * 201)])
    assert problems[0].field == "title"
    assert "200 characters" in problems[0].message


def test_validate_board_reports_every_problem_with_first_field():
    with pytest.raises(InvalidInputError) as error:
        validate_board(BoardLayout.TIC_TAC_TOE, 5, [activity(1), activity(2)])
    assert error.value.field == "activities"
    assert "exactly 9" in str(error.value)
    assert "between 1 and 2" in str(error.value)


BOARD = [
    activity(1, requirement=Requirement.MUST_DO),
    activity(2, requirement=Requirement.MUST_DO),
    activity(3),
    activity(4),
    activity(5),
]


def test_progress_counts_must_and_may_dos():
    progress = board_progress(BOARD, {1: S.DONE, 2: S.IN_PROGRESS, 3: S.DONE}, 2)
    assert (progress.must_do_done, progress.must_do_total, progress.may_do_done) == (1, 2, 1)
    assert progress.may_do_required == 2
    assert not progress.is_complete
    assert progress.summary == "1 of 2 must-dos done and 1 of 2 may-dos chosen and done."
    assert progress.teacher_summary == progress.summary


def test_board_complete_when_must_dos_and_enough_may_dos_done():
    progress = board_progress(BOARD, {1: S.DONE, 2: S.DONE, 3: S.DONE, 5: S.DONE}, 2)
    assert progress.is_complete
    assert progress.summary.startswith("Board complete")
    # The teacher's pages speak of the student, not to them.
    assert progress.teacher_summary == "Board complete: every must-do and enough may-dos done."
    assert "you" not in progress.teacher_summary


def test_board_not_complete_when_a_must_do_is_missing():
    progress = board_progress(BOARD, {1: S.DONE, 3: S.DONE, 4: S.DONE, 5: S.DONE}, 2)
    assert not progress.is_complete
    assert progress.may_do_done == 3


def test_progress_on_untouched_board():
    progress = board_progress(BOARD, {}, 1)
    assert progress.summary == "0 of 2 must-dos done and 0 of 1 may-dos chosen and done."


@pytest.mark.parametrize(
    ("points", "readiness"),
    [
        (0, Readiness.RETEACH),
        (1.99, Readiness.RETEACH),
        (2, Readiness.PRACTICE),
        (2.99, Readiness.PRACTICE),
        (3, Readiness.EXTENSION),
        (4, Readiness.EXTENSION),
    ],
)
def test_readiness_bands_on_default_scale(points, readiness):
    assert readiness_for_level(points, DEFAULT_SCALE) is readiness


def test_near_band_is_the_level_below_the_threshold_on_any_scale():
    scale = MasteryScale.from_levels(
        [(100, "Mastery", "#000"), (70, "Near", "#111"), (0, "Not yet", "#222")], mastery_points=100
    )
    assert near_mastery_floor(scale) == 70
    assert readiness_for_level(69, scale) is Readiness.RETEACH
    assert readiness_for_level(70, scale) is Readiness.PRACTICE


def test_reorder_moves_an_item_up_and_down():
    assert reorder([1, 2, 3, 4], 3, 1) == [1, 3, 2, 4]
    assert reorder([1, 2, 3, 4], 2, 2) == [1, 3, 2, 4]
    assert reorder([1, 2, 3, 4], 4, 0) == [4, 1, 2, 3]


def test_reorder_clamps_past_the_ends():
    assert reorder([1, 2, 3], 1, -1) == [1, 2, 3]
    assert reorder([1, 2, 3], 3, 5) == [1, 2, 3]


def test_reorder_refuses_unknown_activity():
    with pytest.raises(NotFoundError):
        reorder([1, 2], 9, 0)
