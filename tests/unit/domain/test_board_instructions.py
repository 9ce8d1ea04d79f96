"""The board's instructions say what this student actually has to do."""

from __future__ import annotations

import pytest

from lti_pl.domain.board_instructions import board_instructions


@pytest.mark.parametrize(
    ("counts", "assigned", "sentence"),
    [
        ((1, 4, 2), False, "Do the must-do, and choose 2 of the 4 may-dos."),
        ((2, 4, 2), False, "Do all 2 must-dos, and choose 2 of the 4 may-dos."),
        # "assigned" with one may-do given: nothing to choose, never "choose 2".
        ((1, 1, 1), True, "Do the must-do and the may-do assigned to you."),
        ((1, 1, 2), True, "Do the must-do and the may-do assigned to you."),
        ((0, 3, 3), True, "Do all 3 may-dos assigned to you."),
        ((0, 3, 1), False, "Choose 1 of the 3 may-dos."),
        ((1, 0, 2), True, "Do the must-do."),
        ((0, 0, 0), False, ""),
    ],
)
def test_instructions_follow_what_the_student_sees(counts, assigned, sentence):
    must, visible, required = counts
    assert board_instructions(must, visible, required, assigned=assigned) == sentence
