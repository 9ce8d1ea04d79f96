"""The settings and target forms show only the chosen method's parameters, in words."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from lti_pl.domain.mastery import CALCULATION_METHODS
from tests.e2e.support import (
    assert_accessible,
    assert_no_horizontal_scroll,
    launch,
    screenshot,
    tool_frame,
)

pytestmark = pytest.mark.e2e

TEACHER = "Ms Rivera"
WIDTHS = (360, 800, 1280)


def visible_parameter_inputs(frame: Any) -> list[str]:
    """The names of the method-parameter fields a person can see."""
    return frame.evaluate(
        """() => [...document.querySelectorAll('[name^="param_"]')]
            .filter(el => el.offsetParent !== null && el.getClientRects().length > 0)
            .map(el => el.name)"""
    )


def expected_inputs(method: str) -> list[str]:
    return [f"param_{method}_{p.name}" for p in CALCULATION_METHODS[method].parameters]


def check_switching(frame: Any, inner: Any, first: str) -> None:
    assert visible_parameter_inputs(inner) == expected_inputs(first)
    select = frame.locator("#calculation_method")
    select.select_option(label=CALCULATION_METHODS["bkt"].label)
    assert visible_parameter_inputs(inner) == expected_inputs("bkt")
    # Each parameter reads in words, not by its stored name.
    expect(frame.get_by_label("Chance of a slip")).to_be_visible()
    expect(frame.get_by_text("p_slip", exact=True)).to_have_count(0)
    select.select_option(label=CALCULATION_METHODS["latest"].label)
    assert visible_parameter_inputs(inner) == []
    select.select_option(label=CALCULATION_METHODS["recent_mode"].label)
    assert visible_parameter_inputs(inner) == expected_inputs("recent_mode")
    select.select_option(value=first)


def test_settings_and_target_forms_show_only_the_chosen_methods_parameters(
    live: Any, page: Any
) -> None:
    frame = launch(page, live.sandbox_url, TEACHER)
    frame.get_by_role("link", name="Mastery settings").first.click()
    expect(frame.locator("h1")).to_have_text("Mastery settings")
    inner = tool_frame(page)
    select = frame.locator("#calculation_method")
    chosen = select.input_value()
    # Methods are listed in words.
    labels = select.locator("option").all_inner_texts()
    assert labels == [m.label for m in CALCULATION_METHODS.values()]
    check_switching(frame, inner, chosen)
    assert_accessible(inner, "settings form")
    select.select_option(value="bkt")
    page.set_viewport_size({"width": 360, "height": 900})
    frame.get_by_label("Chance of a slip").scroll_into_view_if_needed()
    screenshot(page, "method-settings-bkt-360")
    select.select_option(value=chosen)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_scroll(inner, inner.evaluate("() => window.innerWidth"), "settings")
        frame.locator("#calculation_method").scroll_into_view_if_needed()
        screenshot(page, f"method-settings-{width}")

    page.set_viewport_size({"width": 1280, "height": 900})
    frame.get_by_role("link", name="Learning targets").first.click()
    frame.get_by_role("link", name="Add a target").click()
    expect(frame.locator("h1")).to_have_text("New target")
    inner = tool_frame(page)
    select = frame.locator("#calculation_method")
    # The course default shows no parameters of its own on the target form.
    assert select.input_value() == ""
    assert visible_parameter_inputs(inner) == []
    select.select_option(value="decaying_average")
    check_switching(frame, inner, "decaying_average")
    expect(frame.get_by_label("Weight of each new score")).to_be_visible()
    assert_accessible(inner, "target form")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_scroll(inner, inner.evaluate("() => window.innerWidth"), "target")
        frame.locator("#calculation_method").scroll_into_view_if_needed()
        screenshot(page, f"method-target-{width}")
