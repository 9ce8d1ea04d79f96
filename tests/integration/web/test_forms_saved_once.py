"""A form that creates records is saved once: a double tap, a resubmit after Back, a retry.

Each test posts the same rendered form twice (the same `once` token), as a browser does when a
student taps "Submit evidence" twice on a slow network or presses Back and sends it again.
"""

from __future__ import annotations

import re
import threading
import time

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.evidence import Assessment, Evidence
from lti_pl.web import once
from tests.integration.evidence.test_quick_grid_by_student import signed_in_class
from tests.support.builders import (
    make_course,
    make_student,
    make_target,
    sign_in,
)


def tokens(page: str) -> list[str]:
    """The `once` tokens of a page's forms, in order."""
    return re.findall(r'name="once" value="([^"]+)"', page)


def key_of(client, token: str) -> str:
    """The store key of a form token in this client's session."""
    with client.session_transaction(base_url="https://tool.test") as session:
        return f"once:{session['_sid']}:{token}"


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id))) or 0


def evidence_form(client):
    """A student on a target's page: (the evidence form's token, its action, the page's URL)."""
    course = make_course()
    student, target = make_student(course), make_target(course)
    sign_in(client, student)
    page = client.get(f"/courses/{course.id}/learn/targets/{target.id}").get_data(as_text=True)
    found = tokens(page)
    assert len(found) == 2  # evidence and "I'm ready" (relearning shows below mastery only)
    assert len(set(found)) == 2  # a token per form
    where = f"/courses/{course.id}/learn/targets/{target.id}"
    return found[0], f"{where}/evidence", where


def test_evidence_sent_twice_is_saved_once_and_the_second_lands_where_the_first_did(
    app, client, db_session
):
    # Before: two Evidence rows (and two "ready" requests when ticked).
    token, url, _where = evidence_form(client)
    form = {"kind": "text", "text": "My diagram of a cell", "once": token}
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert count(Evidence) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "That was already saved." in page
    assert len(set(tokens(page))) == 2  # the page again: new tokens, a new piece goes through
    again = client.post(url, data={**form, "once": tokens(page)[0]})
    assert again.status_code == 303
    assert count(Evidence) == 2


def test_the_quick_grid_sent_twice_scores_once_and_goes_to_the_same_next_student(
    app, client, db_session
):
    course, (ana, ben), (target, _) = signed_in_class(client)
    page = client.get(f"/courses/{course.id}/teach/quick-grid/student").get_data(as_text=True)
    (token,) = tokens(page)
    form = {"student": ana.id, "then": ben.id, f"score_{ana.id}_{target.id}": "2", "once": token}
    first = client.post(f"/courses/{course.id}/teach/quick-grid", data=form)
    second = client.post(f"/courses/{course.id}/teach/quick-grid", data=form)
    assert second.headers["Location"] == first.headers["Location"]
    assert f"student={ben.id}" in second.headers["Location"]
    assert count(Assessment) == 1  # a second score of 2 would have moved the average


def test_a_refused_form_frees_its_token_for_the_corrected_one(app, client, db_session):
    token, url, _where = evidence_form(client)
    refused = client.post(url, data={"kind": "link", "url": "not a link", "once": token})
    assert refused.status_code == 422
    fixed = client.post(url, data={"kind": "link", "url": "https://example.org/a", "once": token})
    assert fixed.status_code == 303
    assert count(Evidence) == 1


def test_a_repeat_while_the_first_is_still_saving_waits_for_it_and_follows_it(
    app, client, db_session
):
    # The second tap arrives while the first (a slow upload) is still being saved.
    token, url, where = evidence_form(client)
    store = app.extensions["lti_pl"].store
    assert store.add(key_of(client, token), once.PENDING, 60)
    finisher = threading.Timer(0.3, lambda: store.set(key_of(client, token), where, 60))
    finisher.start()
    started = time.monotonic()
    answer = client.post(url, data={"kind": "text", "text": "again", "once": token})
    assert time.monotonic() - started >= 0.25  # it waited for the first
    assert answer.status_code == 303
    assert answer.headers["Location"] == where
    assert count(Evidence) == 0  # the repeat saved nothing itself


def test_a_repeat_of_a_form_still_saving_after_the_wait_is_a_page_that_says_so(
    app, client, db_session, monkeypatch
):
    monkeypatch.setattr(once, "WAIT", 0.2)
    token, url, _where = evidence_form(client)
    app.extensions["lti_pl"].store.add(key_of(client, token), once.PENDING, 60)
    answer = client.post(url, data={"kind": "text", "text": "again", "once": token})
    assert answer.status_code == 409
    assert "still being saved" in answer.get_data(as_text=True)
    assert count(Evidence) == 0


def test_a_post_that_failed_on_our_side_frees_its_token(app, client, db_session, monkeypatch):
    app.config["LTI_PL_SWALLOW_ERRORS"] = True
    token, url, _where = evidence_form(client)
    from lti_pl.services import evidence

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(evidence, "submit_evidence", broken)
    assert client.post(url, data={"kind": "text", "text": "x", "once": token}).status_code == 500
    # Freed: the student's next try runs the view again (as after a refused form, above).
    assert app.extensions["lti_pl"].store.get(key_of(client, token)) is None


def test_forms_without_the_field_and_odd_tokens_are_not_affected(app, client, db_session):
    _, url, _ = evidence_form(client)
    for extra in ({}, {"once": ""}, {"once": "x"}, {"once": "a" * 200}):
        assert client.post(url, data={"kind": "text", "text": "t", **extra}).status_code == 303
    assert count(Evidence) == 4


def test_a_token_posted_from_another_browser_is_not_answered_from_the_first(
    app, client, db_session
):
    # The first POST's address may carry its session (cookie-blocked frames): a token copied
    # from someone's page must not be a way to it. Another session's POST is its own.
    token, url, _where = evidence_form(client)
    first = client.post(url, data={"kind": "text", "text": "mine", "once": token})
    course_id = int(url.split("/courses/")[1].split("/")[0])
    from lti_pl.models.courses import Course

    other = sign_in(app.test_client(), make_student(db.session.get(Course, course_id)))
    second = other.post(url, data={"kind": "text", "text": "theirs", "once": token})
    assert second.status_code == 303
    assert "That was already saved." not in other.get(second.headers["Location"]).get_data(
        as_text=True
    )
    assert count(Evidence) == 2
    assert first.headers["Location"]  # the first's answer was its own
