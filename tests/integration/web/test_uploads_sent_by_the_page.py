"""A form that page.js uploads itself (to show its progress) gets the next page's address.

A script's request follows a redirect by itself and fetches the next page unseen, which uses up
that page's one-time message; so the tool answers such a request's redirect with
`{"location": ...}` (status 200) and the page goes there. Anything else is answered as it is.
"""

from __future__ import annotations

import io

from lti_pl.models.evidence import Evidence
from lti_pl.web import UPLOAD_HEADER
from tests.integration.web.test_forms_saved_once import count, evidence_form, tokens

SENT_BY_THE_PAGE = {UPLOAD_HEADER: "progress"}


def report() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"%PDF-1.4\n" + b"x" * 2000), "lab-report.pdf"


def test_a_saved_upload_is_answered_with_the_next_page_and_its_message_is_kept(
    app, client, db_session
):
    token, url, where = evidence_form(client)
    form = {"kind": "file", "text": "My report", "file": report(), "once": token}
    answer = client.post(url, data=form, headers=SENT_BY_THE_PAGE)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert "Location" not in answer.headers
    assert answer.json == {"location": where}
    assert answer.headers["Cache-Control"] == "no-store"
    assert count(Evidence) == 1
    page = client.get(answer.json["location"]).get_data(as_text=True)
    assert "lab-report.pdf" in page
    assert "Evidence submitted" in page  # the message was not used up on the way


def test_the_same_upload_sent_again_by_the_page_lands_where_the_first_did(app, client, db_session):
    """The saved-once check keeps the redirect itself, not the script's answer to it."""
    token, url, where = evidence_form(client)
    first = client.post(
        url, data={"kind": "file", "file": report(), "once": token}, headers=SENT_BY_THE_PAGE
    )
    second = client.post(
        url, data={"kind": "file", "file": report(), "once": token}, headers=SENT_BY_THE_PAGE
    )
    plain = client.post(url, data={"kind": "file", "file": report(), "once": token})
    assert first.json == second.json == {"location": where}
    assert plain.status_code == 303
    assert plain.headers["Location"] == where
    assert count(Evidence) == 1


def test_a_refused_upload_is_answered_with_the_form_and_what_to_fix(app, client, db_session):
    token, url, _where = evidence_form(client)
    disguised = (io.BytesIO(b"MZ not a pdf"), "report.pdf")
    answer = client.post(
        url, data={"kind": "file", "file": disguised, "once": token}, headers=SENT_BY_THE_PAGE
    )
    assert answer.status_code == 422
    assert answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert tokens(page), "the form comes back, to be sent again"
    assert count(Evidence) == 0


def test_a_plain_form_is_still_redirected(app, client, db_session):
    token, url, where = evidence_form(client)
    answer = client.post(url, data={"kind": "text", "text": "My diagram", "once": token})
    assert answer.status_code == 303
    assert answer.headers["Location"] == where
