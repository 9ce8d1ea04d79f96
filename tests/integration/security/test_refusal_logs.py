"""Refused-access log lines name the actor by a pseudonymous id, never personal data."""

from __future__ import annotations

import logging

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment, Person


def test_a_refusal_names_the_enrollment_not_the_person(client, platform, caplog):
    home = platform.launch(client, role="Learner", user_id="student-secret-sub").headers["Location"]
    course_id = int(home.split("/")[2])
    person = db.session.scalars(select(Person).where(Person.subject == "student-secret-sub")).one()
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.person_id == person.id)
    ).one()
    with caplog.at_level(logging.INFO, logger="lti_pl.web.errors"):
        refused = client.get(f"/courses/{course_id}/teach/data-wall")
    assert refused.status_code == 403
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert f"actor=enrollment:{enrollment.id}" in line
    for personal in (person.subject, person.name, person.email or "@"):
        assert personal not in line


def test_a_stranger_is_anonymous(client, platform, caplog):
    with caplog.at_level(logging.INFO, logger="lti_pl.web.errors"):
        assert client.get("/courses/1/learn/").status_code in {403, 404}
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert lines
    assert all("actor=anonymous" in line for line in lines)
