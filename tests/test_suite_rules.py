"""The suite's own rules: browser tests share one worker; no test waits for ever."""

from __future__ import annotations

import pytest

from tests.conftest import BROWSER_TEST_TIMEOUT


def test_every_test_has_a_deadline(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.hasplugin("timeout")
    assert float(request.config.getini("timeout")) == 600


def test_browser_tests_run_together_on_one_worker_with_a_shorter_deadline(
    request: pytest.FixtureRequest,
) -> None:
    browser_tests = [i for i in request.session.items if i.get_closest_marker("e2e")]
    if not browser_tests:
        pytest.skip("this run collected no browser test (-m or a path left them out)")
    for item in browser_tests:
        group = item.get_closest_marker("xdist_group")
        assert group is not None, item.nodeid
        assert group.args == ("browser",), item.nodeid
        deadline = item.get_closest_marker("timeout")
        assert deadline is not None, item.nodeid
        assert deadline.args[0] <= BROWSER_TEST_TIMEOUT, item.nodeid
