"""Sessions end: after a working day at most, sooner when idle, at sign-out; a relaunch starts a
new one; the cookieless URL token is short-lived and tied to its launch."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.lti.test_platform_storage import cookieless_login, storage_post

TOOL = "https://tool.test"
HOUR = 3600


class Clock:
    """The wall clock the session code reads (lti_pl.web's `time`), moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    import lti_pl.web

    fake = Clock(time.time())
    monkeypatch.setattr(lti_pl.web, "time", fake)
    return fake


def home_of(launch: Any) -> str:
    assert launch.status_code == 303, launch.get_data(as_text=True)
    return launch.headers["Location"]


def session_id(client: Any) -> str:
    with client.session_transaction(base_url=TOOL) as session:
        return session["_sid"]


def test_a_cookie_session_ends_after_the_working_day_even_when_active(client, platform, clock):
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    for _ in range(10):  # a request every hour: never idle
        assert client.get(home).status_code == 200
        clock.now += HOUR
    clock.now += 60
    assert client.get(home).status_code == 403  # "open the tool from your LMS"


def test_an_idle_session_ends_sooner(app, client, platform, clock):
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    clock.now += 89 * 60
    assert client.get(home).status_code == 200  # still in time, and the idle clock restarts
    clock.now += 89 * 60
    assert client.get(home).status_code == 200
    clock.now += 91 * 60
    assert client.get(home).status_code == 403


def test_the_lifetimes_are_configurable(app, client, platform, clock):
    app.config.update(LTI_PL_SESSION_HOURS=1, LTI_PL_SESSION_IDLE_MINUTES=10)
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    clock.now += 11 * 60
    assert client.get(home).status_code == 403


def test_a_relaunch_from_the_lms_starts_a_new_session(client, platform, clock):
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    first = session_id(client)
    clock.now += 9 * HOUR
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    assert session_id(client) != first
    clock.now += 80 * 60  # past 10 hours since the first launch, 80 minutes after the relaunch
    assert client.get(home).status_code == 200


def test_the_url_token_is_short_lived(app, platform, db_session, clock):
    app.config["LTI_PL_URL_TOKEN_MINUTES"] = 15
    browser, query, token = cookieless_login(app, platform)
    launch = storage_post(browser, token, query["state"], query["state"], query["nonce"])
    location = home_of(launch)
    assert "lti_pl_s=" in location
    assert browser.get(location, base_url=TOOL).status_code == 200
    clock.now += 16 * 60
    assert browser.get(location, base_url=TOOL).status_code == 403
    # A fresh page hands out fresh tokens: a student who keeps working keeps the session.


def test_the_url_token_renews_on_every_page(app, platform, db_session, clock):
    app.config["LTI_PL_URL_TOKEN_MINUTES"] = 15
    browser, query, token = cookieless_login(app, platform)
    location = home_of(storage_post(browser, token, query["state"], query["state"], query["nonce"]))
    for _ in range(4):
        clock.now += 10 * 60
        page = browser.get(location, base_url=TOOL)
        assert page.status_code == 200
        link = re.search(r'href="([^"]*lti_pl_s=[^"]+)"', page.get_data(as_text=True)).group(1)
        location = link.replace("&amp;", "&")


def test_sign_out_ends_the_cookie_session(client, platform):
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    page = client.get(home).get_data(as_text=True)
    assert 'action="/sign-out"' in page
    assert ">Sign out</button>" in page
    out = client.post("/sign-out")
    assert out.status_code == 200
    assert "You are signed out" in out.get_data(as_text=True)
    assert client.get(home).status_code == 403


def test_sign_out_refuses_copies_of_the_url_token(app, platform, db_session):
    browser, query, token = cookieless_login(app, platform)
    location = home_of(storage_post(browser, token, query["state"], query["state"], query["nonce"]))
    page = browser.get(location, base_url=TOOL).get_data(as_text=True)
    action = re.search(r'action="(/sign-out[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "lti_pl_s=" in action
    assert browser.post(action, base_url=TOOL).status_code == 200
    copied = app.test_client(use_cookies=False)
    assert copied.get(location, base_url=TOOL).status_code == 403


def test_a_page_that_changes_nothing_in_the_session_sends_no_cookie(client, platform, clock):
    """The cookie is signed and sent again only when the session changed (the idle clock moves
    in minutes): most pages answer without Set-Cookie, and the idle timeout still works."""
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    assert client.get(home).status_code == 200  # the first page may add the CSRF secret
    clock.now += 5
    page = client.get(home)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers, page.headers.get("Set-Cookie")
    clock.now += 61
    moved = client.get(home)
    assert moved.status_code == 200
    assert "session=" in moved.headers.get("Set-Cookie", ""), moved.headers


def test_the_signing_serializer_is_built_once_not_on_every_request(
    app, client, platform, monkeypatch
):
    """Flask builds its session serializer on every open and save; ours keeps one per key set."""
    import flask.sessions

    built: list[object] = []
    real = flask.sessions.URLSafeTimedSerializer

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(flask.sessions, "URLSafeTimedSerializer", counting)
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    for _ in range(3):
        assert client.get(home).status_code == 200
    assert len(built) <= 1, len(built)


def test_a_new_secret_key_takes_effect_at_once(app, client, platform):
    """The kept serializer follows the key: a session signed with a key no longer configured (nor
    among SECRET_KEY_FALLBACKS) does not open; with the old key as a fallback it does."""
    home = home_of(platform.launch(client, role="Learner", user_id="s-1"))
    assert client.get(home).status_code == 200
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-key-" + "x" * 32
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get(home).status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get(home).status_code == 403
