"""`/metrics`: the grade outbox and launches in Prometheus' format, for the operator only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from tests.support import builders


def samples(response):
    text = response.get_data(as_text=True)
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def outbox_entry(student, line_item, status, age):
    entry = GradeOutboxEntry(
        course_id=student.course_id,
        line_item_id=line_item.id,
        enrollment_id=student.id,
        score_given=1.0,
        score_maximum=4.0,
        timestamp=utcnow(),
        status=status,
        created_at=utcnow() - age,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def test_metrics_show_outbox_depth_oldest_age_failures_per_platform_and_launches(
    client, db_session
):
    course = builders.make_course()
    student = builders.make_student(course, last_launch_at=utcnow() - timedelta(minutes=2))
    builders.make_student(course, last_launch_at=utcnow() - timedelta(hours=3))
    line_item = builders.make_line_item(course)
    outbox_entry(student, line_item, OutboxStatus.PENDING, timedelta(minutes=10))
    outbox_entry(student, line_item, OutboxStatus.SENDING, timedelta(minutes=1))
    outbox_entry(student, line_item, OutboxStatus.FAILED, timedelta(hours=1))
    outbox_entry(student, line_item, OutboxStatus.SENT, timedelta(days=1))

    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    found = samples(response)
    assert found[("lti_pl_grade_outbox_entries", (("status", "pending"),))] == 1
    assert found[("lti_pl_grade_outbox_entries", (("status", "sending"),))] == 1
    assert found[("lti_pl_grade_outbox_entries", (("status", "failed"),))] == 1
    oldest = found[("lti_pl_grade_outbox_oldest_waiting_seconds", ())]
    assert 599 <= oldest <= 660
    platform = course.platform
    key = (("issuer", platform.issuer), ("platform_id", str(platform.id)))
    assert found[("lti_pl_grade_outbox_failed", key)] == 1
    assert found[("lti_pl_launched_enrollments", (("window", "5m"),))] == 1
    assert found[("lti_pl_launched_enrollments", (("window", "24h"),))] == 2


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        pytest.param({"REMOTE_ADDR": "203.0.113.9"}, {}, id="public-address"),
        pytest.param(
            {"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}, id="via-proxy"
        ),
    ],
)
def test_metrics_are_refused_to_the_public(client, db_session, environ, headers):
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 403
    assert "lti_pl_grade_outbox" not in response.get_data(as_text=True)


def test_with_a_token_only_the_token_opens_metrics(app, client, db_session):
    app.config["LTI_PL_METRICS_TOKEN"] = "s3cret-scrape-token"
    local = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", environ_base=local).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", environ_base=local, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-scrape-token"}
    remote = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.get("/metrics", environ_base=remote, headers=right).status_code == 200
