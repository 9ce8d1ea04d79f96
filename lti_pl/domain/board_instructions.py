"""What a student is asked to do on a board, in words that match what they actually see.

A student on the "assigned" dial may see fewer may-dos than the board asks for (and one may-do
leaves nothing to choose), so the sentence is built from the student's own counts, never from
the board's `choose_n` alone.
"""

from __future__ import annotations


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def board_instructions(
    must_dos: int, may_dos_visible: int, may_dos_required: int, *, assigned: bool
) -> str:
    """One sentence: which must-dos to do and how many may-dos to choose.

    Args:
        must_dos: must-dos the student sees.
        may_dos_visible: may-dos the student sees.
        may_dos_required: how many may-dos count for the student (at most `may_dos_visible`).
        assigned: the student is on the "assigned" dial (the teacher picked their activities).

    Returns:
        The sentence, or "" when there is nothing to do.
    """
    required = max(0, min(may_dos_required, may_dos_visible))
    whose = " assigned to you" if assigned else ""
    if must_dos == 1:
        sentence = "do the must-do"
    elif must_dos > 1:
        sentence = f"do all {must_dos} must-dos"
    else:
        sentence = ""
    if required and required == may_dos_visible:
        may = ("the may-do" if required == 1 else f"all {required} may-dos") + whose
        sentence = f"{sentence} and {may}" if sentence else f"do {may}"
    elif required:
        may = f"choose {required} of the {_plural(may_dos_visible, 'may-do')}{whose}"
        sentence = f"{sentence}, and {may}" if sentence else may
    return sentence[:1].upper() + sentence[1:] + "." if sentence else ""
