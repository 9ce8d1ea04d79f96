"""Launch without cookies: state and nonce proved through the LTI platform storage (postMessage)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.platform_emulator import PlatformEmulator

TOOL = "https://tool.test"


def fresh_browser(app: Any) -> Any:
    """A browser that never sends cookies back (third-party cookies blocked in the iframe)."""
    browser = app.test_client(use_cookies=False)
    return browser


def cookieless_login(app: Any, platform: PlatformEmulator) -> tuple[Any, dict[str, str], str]:
    """Log in with platform storage from a cookieless browser; the platform signs a token."""
    browser = fresh_browser(app)
    params = platform.login_params(TOOL) | {"lti_storage_target": "_parent"}
    login = browser.post("/lti/login", data=params, base_url=TOOL)
    page = login.get_data(as_text=True)
    next_url = re.search(r'data-next="([^"]+)"', page).group(1).replace("&amp;", "&")
    query = {k: v[0] for k, v in parse_qs(urlsplit(next_url).query).items()}
    token = platform.sign(
        platform.claims(nonce=query["nonce"], user_id="student-9", role="Learner")
    )
    return browser, query, token


def storage_post(browser, token: str, state: str, storage_state: str, storage_nonce: str):
    """The launch form a platform-storage page posts (state proved from storage, not a cookie)."""
    return browser.post(
        "/lti/launch",
        data={
            "id_token": token,
            "state": state,
            "lti_storage_state": storage_state,
            "lti_storage_nonce": storage_nonce,
        },
        base_url=TOOL,
    )


def test_login_with_storage_target_puts_state_and_nonce_into_platform_storage(
    app, client, platform
):
    params = platform.login_params(TOOL) | {"lti_storage_target": "post_message_forwarding"}
    response = client.post("/lti/login", data=params)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-mode="put"' in page
    assert 'data-target="post_message_forwarding"' in page
    assert f'data-origin="{platform.url}"' in page
    assert "lti_storage.js" in page
    assert "<script>" not in page  # no inline script: CSP script-src 'self'


def test_cookieless_launch_proves_state_from_storage_then_keeps_session_in_url(
    app, platform, db_session
):
    browser, query, token = cookieless_login(app, platform)

    # First POST: no cookie came back, so the tool asks the page to read platform storage.
    check = browser.post(
        "/lti/launch", data={"id_token": token, "state": query["state"]}, base_url=TOOL
    )
    assert check.status_code == 200
    assert 'data-mode="get"' in check.get_data(as_text=True)

    # A forged repost without the stored values is refused.
    forged = storage_post(browser, token, query["state"], "x", "y")
    assert forged.status_code == 400


def test_cookieless_launch_succeeds_with_values_from_storage(app, platform, db_session):
    browser, query, token = cookieless_login(app, platform)
    launch = storage_post(browser, token, query["state"], query["state"], query["nonce"])
    assert launch.status_code == 303
    location = launch.headers["Location"]
    assert "lti_pl_s=" in location
    assert "Set-Cookie" not in launch.headers or "lti_pl_session" not in launch.headers.get(
        "Set-Cookie", ""
    )
    home = browser.get(location, base_url=TOOL)
    assert home.status_code == 200
    assert "Student view" in home.get_data(as_text=True)
    # Without the URL session the same browser is a stranger.
    assert browser.get(location.split("?")[0], base_url=TOOL).status_code == 403


def test_storage_values_cannot_replace_a_missing_login(app, platform: PlatformEmulator, db_session):
    browser = fresh_browser(app)
    token = platform.sign(platform.claims(nonce="n"))
    response = browser.post(
        "/lti/launch",
        data={"id_token": token, "state": "s", "lti_storage_state": "s", "lti_storage_nonce": "n"},
        base_url=TOOL,
    )
    assert response.status_code == 400


def test_non_ascii_storage_values_are_refused_not_a_500(app, platform, db_session):
    browser, query, token = cookieless_login(app, platform)
    response = storage_post(browser, token, query["state"], "état", "nonce-é")
    assert response.status_code == 400
    assert "state_mismatch" in response.get_data(as_text=True)


def test_first_form_of_a_page_in_a_url_session_is_accepted_with_csrf_on(app, platform, db_session):
    # The form's action URL carries the session; it was rendered before csrf_token() put the
    # CSRF secret into the session, so the first form of every page failed with 400.
    app.config["WTF_CSRF_ENABLED"] = True
    browser, query, token = cookieless_login(app, platform)
    launch = storage_post(browser, token, query["state"], query["state"], query["nonce"])
    assert launch.status_code == 303
    course_path = urlsplit(launch.headers["Location"]).path.split("/learn")[0]
    session_param = parse_qs(urlsplit(launch.headers["Location"]).query)["lti_pl_s"][0]
    page = browser.get(
        f"{course_path}/learn/profile", query_string={"lti_pl_s": session_param}, base_url=TOOL
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # The page's own first form (the top bar's "Sign out" form comes before it in the page).
    action = unescape(
        re.search(r'<form method="post" action="([^"]*/profile[^"]*)"', text).group(1)
    )
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    saved = browser.post(
        action, data={"csrf_token": csrf, "interests": "drawing, frogs"}, base_url=TOOL
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    assert "lti_pl_s=" in saved.headers["Location"]
    again = browser.get(saved.headers["Location"], base_url=TOOL).get_data(as_text=True)
    assert "drawing" in again


def test_a_platform_storage_that_gave_nothing_back_ends_in_a_page_that_says_so(
    app, platform, db_session
):
    """The storage page posts its fields empty when the LMS did not answer. The tool used to
    answer that with the storage page again, which asked again and posted again: a frame that
    reloaded itself for ever (160 launches in 12 s in a browser test). It says why instead."""
    browser, query, token = cookieless_login(app, platform)
    check = browser.post(
        "/lti/launch", data={"id_token": token, "state": query["state"]}, base_url=TOOL
    )
    assert 'data-mode="get"' in check.get_data(as_text=True)

    unanswered = storage_post(browser, token, query["state"], "", "")
    page = unanswered.get_data(as_text=True)
    assert unanswered.status_code == 400
    assert 'data-mode="get"' not in page  # not the storage page again
    assert "did not answer" in page
    assert "storage_unanswered" in page
    # The login is used up: posting again is refused, it does not start over.
    again = storage_post(browser, token, query["state"], "", "")
    assert again.status_code == 400
    assert 'data-mode="get"' not in again.get_data(as_text=True)
