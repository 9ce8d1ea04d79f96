import pytest

from lti_pl.domain.ids import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 42 ", 42), ("0", 0), ("007", 7), (str(MAX_ID), MAX_ID)],
)
def test_ids_in_ascii_digits_are_read(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", "-1", "+1", "1.0", "1_000", "x", "²", "١٢", str(MAX_ID + 1), "9" * 5000, "1\x00"],
    ids=repr,
)
def test_anything_else_is_no_id(text):
    # "²".isdigit() is True, but int("²") raises; 5,000 digits make int() raise too.
    assert parse_id(text) is None
