"""A launch whose cookie the browser refused, on a platform without storage (Moodle 4.5).

The launch is validated and its nonce used at once; it waits under a single-use key until the
person continues (Storage Access in the frame, or a new window). The POST must come from the
platform's own page (Origin), and the id_token can never be posted again.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.platform_emulator import PlatformEmulator

TOOL = "https://tool.test"
pytestmark = pytest.mark.platform_profiles("moodle")


def cookieless_launch(
    app: Any, platform: PlatformEmulator, origin: str | None
) -> tuple[Any, Any, dict]:
    """Login and launch from a browser that keeps no cookie of the tool (in the LMS iframe)."""
    browser = app.test_client(use_cookies=False)
    login = browser.post("/lti/login", data=platform.login_params(TOOL), base_url=TOOL)
    assert login.status_code == 302  # Moodle: no platform storage, a plain redirect
    query = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
    token = platform.sign(
        platform.claims(nonce=query["nonce"], user_id="student-9", role="Learner")
    )
    form = {"id_token": token, "state": query["state"]}
    headers = {"Origin": origin} if origin else {}
    return browser, browser.post("/lti/launch", data=form, headers=headers, base_url=TOOL), form


def handoff_key(response: Any) -> str:
    return re.search(r'name="handoff" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_launch_without_cookie_offers_storage_access_and_a_new_window(app, platform, db_session):
    _browser, offered, _form = cookieless_launch(app, platform, origin=platform.url)

    assert offered.status_code == 200
    page = offered.get_data(as_text=True)
    assert "Open lti_pl in a new window" in page
    assert "Continue here" in page
    assert "state_mismatch" not in page
    assert "launch_handoff.js" in page
    assert offered.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in offered.headers  # nothing is signed in yet


def test_new_window_continues_once_with_a_cookie_session(app, platform, db_session):
    _browser, offered, form = cookieless_launch(app, platform, origin=platform.url)
    window = app.test_client()  # first-party: cookies work
    key = handoff_key(offered)

    opened = window.post("/lti/launch/continue", data={"handoff": key}, base_url=TOOL)

    assert opened.status_code == 303
    assert "/learn/" in opened.headers["Location"]
    assert "lti_pl_s=" not in opened.headers["Location"]  # a cookie session, not a URL one
    assert window.get(opened.headers["Location"], base_url=TOOL).status_code == 200
    # Single use: the key, and the id_token behind it, cannot open a second session.
    again = app.test_client().post("/lti/launch/continue", data={"handoff": key}, base_url=TOOL)
    assert again.status_code == 400
    replay = app.test_client(use_cookies=False).post(
        "/lti/launch", data=form, headers={"Origin": platform.url}, base_url=TOOL
    )
    assert replay.status_code == 400
    assert "Open lti_pl in a new window" not in replay.get_data(as_text=True)


def test_a_handoff_key_posted_by_another_site_signs_nobody_in(app, platform, db_session):
    # Login CSRF: another site's page auto-posts someone's key from the victim's browser.
    _browser, offered, _form = cookieless_launch(app, platform, origin=platform.url)
    key = handoff_key(offered)
    victim = app.test_client()

    forged = victim.post(
        "/lti/launch/continue",
        data={"handoff": key},
        headers={"Sec-Fetch-Site": "cross-site"},
        base_url=TOOL,
    )

    assert forged.status_code == 400
    assert "lti_pl" not in forged.headers.get("Set-Cookie", "")
    # The key is not used up by the refusal: the person's own window still opens.
    opened = app.test_client().post(
        "/lti/launch/continue",
        data={"handoff": key},
        headers={"Sec-Fetch-Site": "same-origin"},
        base_url=TOOL,
    )
    assert opened.status_code == 303


@pytest.mark.parametrize(
    "origin", [None, "https://attacker.example", "null"], ids=["none", "other-site", "null"]
)
def test_launch_posted_from_another_page_is_still_refused(app, platform, db_session, origin):
    _browser, refused, _form = cookieless_launch(app, platform, origin=origin)

    assert refused.status_code == 400
    assert "cookie was blocked" in refused.get_data(as_text=True)
    assert 'name="handoff"' not in refused.get_data(as_text=True)
