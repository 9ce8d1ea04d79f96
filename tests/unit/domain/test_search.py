"""A search box's rule: every word typed, in any order, case and accents aside."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lti_pl.domain.search import MAX_QUERY_LENGTH, folded, matches_words, query_words
from lti_pl.domain.standards import CaseItem, matches


def test_a_name_is_found_by_any_of_its_words_in_any_order_and_case() -> None:
    words = query_words("  MARTIN  chl ")
    assert words == ["martin", "chl"]
    assert matches_words(words, "Chloé Martin", "chloe@example.edu")
    assert not matches_words(query_words("martin zed"), "Chloé Martin", None)


def test_accents_are_not_needed_to_find_a_name_and_typing_them_still_finds_it() -> None:
    assert matches_words(query_words("zoe"), "Zoë Nguyễn")
    assert matches_words(query_words("nguyen"), "Zoë Nguyễn")
    assert matches_words(query_words("Zoë"), "Zoe Smith")
    assert folded("Straße Ångström") == "strasse angstrom"


def test_words_may_come_from_the_email_as_well_as_the_name() -> None:
    assert matches_words(query_words("pat example.edu"), "Pat Lee", "plee@example.edu")
    assert matches_words(query_words(""), "anyone", None)  # an empty box shows everyone


def test_a_pasted_essay_is_cut_to_the_box_length() -> None:
    words = query_words("a" * 5000)
    assert words == ["a" * MAX_QUERY_LENGTH]


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_text_always_finds_itself_and_each_of_its_words(name: str, email: str) -> None:
    assert matches_words(query_words(name), name, email)
    assert matches_words(query_words(email), name, email)


def test_a_standards_search_uses_the_same_rule() -> None:
    item = CaseItem(
        identifier="x", statement="Compare fractions with unlike denominators", code="5.NF.A.1"
    )
    assert matches(item, "fractions 5.nf")
    assert matches(item, "FRACTIONS compare")
    assert not matches(item, "decimals")
