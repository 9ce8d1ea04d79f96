"""The grade outbox: ordering, supersession, retries, leases; checked at the emulator."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lti_pl.domain import grade_delivery
from lti_pl.extensions import db
from lti_pl.models.courses import Enrollment
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus
from lti_pl.services import grades, outbox_claims, outbox_delivery
from tests.support.grades import graded_course, queue_final_score, sender_for
from tests.support.platform_emulator import Fault

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles

NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
POLICY = grade_delivery.RetryPolicy(base=1.0, cap=8.0, max_attempts=5, lease=60.0)


def queue(course, item, student, score, now=NOW, **kw):
    entry = grades.queue_score(
        course_id=course.course.id,
        line_item=item,
        enrollment=student,
        score_given=score,
        score_maximum=kw.pop("score_maximum", 4.0),
        comment=kw.pop("comment", ""),
        activity_progress=kw.pop("activity_progress", "Completed"),
        grading_progress=kw.pop("grading_progress", "FullyGraded"),
        now=now,
    )
    db.session.commit()
    return entry


def test_timestamps_strictly_increase_and_newer_supersedes_unsent(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    first = queue(course, item, course.students[0], 1.0)
    second = queue(course, item, course.students[0], 2.0)
    third = queue(course, item, course.students[0], 3.0, now=NOW - timedelta(minutes=5))
    # Each a whole second later (Moodle compares seconds): 09:00:01.000, then 09:00:02.000.
    assert second.timestamp == NOW.replace(microsecond=0) + timedelta(seconds=1)
    assert third.timestamp == NOW.replace(microsecond=0) + timedelta(seconds=2)
    statuses = [db.session.get(GradeOutboxEntry, e.id).status for e in (first, second, third)]
    assert statuses == ["superseded", "superseded", "pending"]

    report = grades.push_pending(sender_for(app), now=NOW, policy=POLICY)

    assert report.sent == 1
    arrived = platform.scores_for(item.url)
    assert [s["scoreGiven"] for s in arrived] == [3.0]


def test_score_arrives_with_ags_shape_content_type_and_one_token(app, client, platform):
    course = graded_course(client, platform, students=5)
    item = course.line_item()
    for i, student in enumerate(course.students):
        queue(course, item, student, float(i), comment="Keep going")
    tokens_before = len(platform.token_requests)

    report = grades.push_pending(sender_for(app), now=NOW, policy=POLICY)

    assert report.sent == 5
    arrived = platform.final_scores(item.url)
    assert set(arrived) == {f"student-{i}" for i in range(5)}
    score = arrived["student-2"]
    assert score["scoreGiven"] == 2.0
    assert score["scoreMaximum"] == 4.0
    assert score["comment"] == "Keep going"
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"] == "2026-03-02T09:00:00.123Z"
    assert all(r["status"] == 200 for r in platform.score_requests)  # 415 on a wrong content type
    new_tokens = platform.token_requests[tokens_before:]
    assert len(new_tokens) == 1
    assert new_tokens[0]["ok"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in new_tokens[0]["scopes"]


@pytest.mark.parametrize(
    ("token_ttl", "expected_tokens"),
    [
        pytest.param(3600, 1, id="cached-until-a-minute-before-expiry"),
        pytest.param(50, 4, id="short-lived-not-cached"),
    ],
)
def test_token_cache_respects_expires_in(app, client, platform, token_ttl, expected_tokens):
    platform.token_ttl = token_ttl
    course = graded_course(client, platform, students=4)
    item = course.line_item()
    for student in course.students:
        queue(course, item, student, 1.0)
    before = len(platform.token_requests)

    grades.push_pending(sender_for(app), now=NOW, policy=POLICY)

    assert len(platform.token_requests) - before == expected_tokens
    assert len(platform.final_scores(item.url)) == 4


def test_server_error_retries_with_backoff_then_arrives_once(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 3.0)
    platform.faults["ags"] = Fault(rate=1.0, kinds=("500",))

    report = grades.push_pending(sender_for(app), now=NOW, policy=POLICY, rand=lambda: 0.0)

    assert report.retried == 1
    db.session.expire_all()
    stored = db.session.get(GradeOutboxEntry, entry.id)
    assert stored.status == OutboxStatus.PENDING
    assert stored.next_attempt_at == NOW + timedelta(seconds=0.5)  # base 1 s, equal jitter at 0
    assert grades.push_pending(sender_for(app), now=NOW, policy=POLICY).attempted == 0
    platform.faults.clear()

    grades.push_pending(sender_for(app), now=NOW + timedelta(seconds=1), policy=POLICY)

    assert [s["scoreGiven"] for s in platform.scores_for(item.url)] == [3.0]


def test_retry_after_is_honoured(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 3.0)
    platform.faults["ags"] = Fault(rate=1.0, kinds=("429",), retry_after=30)

    grades.push_pending(sender_for(app), now=NOW, policy=POLICY, rand=lambda: 0.0)

    db.session.expire_all()
    assert db.session.get(GradeOutboxEntry, entry.id).next_attempt_at == NOW + timedelta(seconds=30)


def test_client_error_fails_with_reason_and_teacher_can_retry(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    del platform.line_items[item.url]  # deleted in the LMS: 404
    entry = queue(course, item, course.students[0], 2.0)

    report = grades.push_pending(sender_for(app), now=NOW, policy=POLICY)

    assert report.failed == 1
    page = client.get(f"/courses/{course.course.id}/teach/grades")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Failed" in text
    assert "no longer exists" in text
    assert "Student 0000" in text

    platform.put_line_item(item.url, "x", context_id=course.course.context_id)
    answer = client.post(f"/courses/{course.course.id}/teach/grades/{entry.id}/retry")
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(GradeOutboxEntry, entry.id).status == OutboxStatus.PENDING
    grades.push_pending(sender_for(app), now=datetime.now(UTC), policy=POLICY)
    assert [s["scoreGiven"] for s in platform.scores_for(item.url)] == [2.0]


@pytest.mark.platform_profiles("generic", "moodle")  # Canvas has no 409 rule
def test_conflict_from_newer_platform_timestamp_is_restamped(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    # The LMS already holds a score stamped a second later (clock skew, another instance).
    platform.scores[item.url.rstrip("/")].append(
        {"userId": "student-0", "scoreGiven": 0, "timestamp": "2026-03-02T09:00:01.000Z"}
    )
    entry = queue(course, item, course.students[0], 4.0)

    first = grades.push_pending(sender_for(app), now=NOW, policy=POLICY)
    assert first.retried == 1
    later = NOW + timedelta(seconds=2)
    grades.push_pending(sender_for(app), now=later, policy=POLICY)

    final = platform.final_scores(item.url)["student-0"]
    assert final["scoreGiven"] == 4.0
    assert final["timestamp"] == "2026-03-02T09:00:02.123Z"
    db.session.expire_all()
    assert db.session.get(GradeOutboxEntry, entry.id).status == OutboxStatus.SENT


@pytest.mark.platform_profiles("generic", "moodle")  # Canvas has no 409 rule
def test_two_scores_within_one_second_both_arrive_without_a_409(app, client, platform):
    """Moodle compares whole seconds: a second score in the same second must still be newer."""
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    queue(course, item, course.students[0], 2.0)
    assert grades.push_pending(sender_for(app), now=NOW, policy=POLICY).sent == 1
    soon = NOW + timedelta(milliseconds=300)  # the same whole second (09:00:00)
    second = queue(course, item, course.students[0], 3.0, now=soon)

    report = grades.push_pending(sender_for(app), now=soon, policy=POLICY)

    assert (report.sent, report.retried) == (1, 0)
    assert [r["status"] for r in platform.score_requests] == [200, 200]
    assert platform.gradebook(item.url)["student-0"] == 3.0
    db.session.expire_all()
    assert db.session.get(GradeOutboxEntry, second.id).status == OutboxStatus.SENT


def test_claimed_entry_of_a_dead_worker_is_sent_after_the_lease(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 1.0)
    claim = outbox_claims.claim_next(NOW, POLICY)  # this worker "dies" before sending
    assert claim is not None
    assert (
        grades.push_pending(
            sender_for(app), now=NOW + timedelta(seconds=30), policy=POLICY
        ).attempted
        == 0
    )
    newer = queue(course, item, course.students[0], 2.0, now=NOW + timedelta(seconds=31))

    report = grades.push_pending(sender_for(app), now=NOW + timedelta(seconds=61), policy=POLICY)

    assert (report.superseded, report.sent) == (1, 1)
    assert [s["scoreGiven"] for s in platform.scores_for(item.url)] == [2.0]
    db.session.expire_all()
    assert db.session.get(GradeOutboxEntry, entry.id).status == OutboxStatus.SUPERSEDED
    assert db.session.get(GradeOutboxEntry, newer.id).status == OutboxStatus.SENT


def test_two_claims_never_take_the_same_entry(app, client, platform):
    course = graded_course(client, platform, students=2)
    item = course.line_item()
    for student in course.students:
        queue(course, item, student, 1.0)
    first = outbox_claims.claim_next(NOW, POLICY)
    second = outbox_claims.claim_next(NOW, POLICY)
    third = outbox_claims.claim_next(NOW, POLICY)
    assert first is not None
    assert second is not None
    assert first[0] != second[0]
    assert third is None


@pytest.mark.platform_profiles("generic", "moodle")  # Canvas has no 409 rule
def test_timeout_then_409_counts_as_delivered(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 3.0)
    # The platform recorded the score but the answer was lost (we never saw it).
    score = outbox_delivery.delivery_for(db.session.get(GradeOutboxEntry, entry.id)).score.to_json()
    platform.scores[item.url].append(score)
    stored = db.session.get(GradeOutboxEntry, entry.id)
    stored.maybe_delivered = True
    stored.last_error = "The LMS did not answer in time."
    db.session.commit()

    report = grades.push_pending(sender_for(app), now=NOW, policy=POLICY)

    assert report.sent == 1
    assert len(platform.scores_for(item.url)) == 1


@pytest.mark.slow
@pytest.mark.platform_profiles("generic")  # slow: once is enough
def test_thousand_scores_through_a_faulty_platform_arrive_exactly_once(app, client, platform):
    # Every kind of fault; a "slow" one costs a whole client timeout, so it is the rarest.
    platform.faults["ags"] = Fault(
        rate=0.33,
        kinds=("500", "429", "reset", "slow"),
        weights=(10, 10, 10, 2),
        retry_after=2,
        slow_seconds=0.15,
    )
    platform.random.seed(11)
    course = graded_course(client, platform, students=500)
    items = [course.line_item("Mastery A"), course.line_item("Mastery B")]
    course_id = course.course.id
    students = [(e.id, e.person.subject) for e in course.students]
    item_keys = [(i.id, i.url) for i in items]
    expected: dict[tuple[str, str], float] = {}
    rng = random.Random(5)
    now = NOW
    sender = sender_for(app, timeout=0.1)
    policy = grade_delivery.RetryPolicy(base=0.5, cap=4.0, max_attempts=30, lease=30.0)
    for round_ in range(2):
        db.session.expunge_all()  # a worker's session does not hold the whole course
        for enrollment_id, subject in students:
            for item_id, url in item_keys:
                if round_ == 1 and rng.random() < 0.7:
                    continue  # a second, newer score for about 30 % of them
                value = float(rng.randint(0, 4))
                queue_final_score(
                    course_id,
                    db.session.get(LineItem, item_id),
                    db.session.get(Enrollment, enrollment_id),
                    value,
                    now=now,
                )
                expected[(url, subject)] = value
        db.session.commit()
        db.session.expunge_all()
        for _ in range(200):
            grades.push_pending(sender, now=now, limit=2000, policy=policy, rand=rng.random)
            remaining = db.session.scalar(
                select(db.func.count(GradeOutboxEntry.id)).where(
                    GradeOutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                )
            )
            if remaining == 0:
                break
            now += timedelta(seconds=5)
        assert remaining == 0

    failed = db.session.scalar(
        select(db.func.count(GradeOutboxEntry.id)).where(
            GradeOutboxEntry.status == OutboxStatus.FAILED
        )
    )
    assert failed == 0
    assert sum(1 for r in platform.score_requests if r["status"] != 200) > 100  # faults happened
    assert {429, 500, 503} <= {r["status"] for r in platform.score_requests}  # 503: slow ones
    for _, url in item_keys:
        arrived = platform.scores_for(url)
        final = platform.final_scores(url)
        assert len(final) == 500
        for user, score in final.items():
            assert score["scoreGiven"] == expected[(url, user)]
            same = [
                s for s in arrived if s["userId"] == user and s["timestamp"] == score["timestamp"]
            ]
            assert len(same) == 1
    assert len(expected) == 1000


def test_stuck_entry_is_shown_and_the_teacher_can_send_it_now(app, client, platform):
    # A sender killed mid-send leaves the entry SENDING; after its lease it is "stuck": the
    # grades page says so and offers a retry, which sends it now, marked "maybe delivered".
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 3.0)
    now = datetime.now(UTC)
    claimed = outbox_claims.claim_batch(now - timedelta(minutes=5), POLICY, size=10)
    db.session.commit()
    assert [entry_id for entry_id, _ in claimed] == [entry.id]  # lease ended 4 minutes ago

    page = client.get(f"/courses/{course.course.id}/teach/grades").get_data(as_text=True)
    assert "Stuck" in page
    assert f"/grades/{entry.id}/retry" in page
    assert "Stopped mid-send" in page

    answer = client.post(f"/courses/{course.course.id}/teach/grades/{entry.id}/retry")
    assert answer.status_code == 303
    db.session.expire_all()
    retried = db.session.get(GradeOutboxEntry, entry.id)
    assert retried.status == OutboxStatus.SENDING
    grades.push_pending(sender_for(app), now=datetime.now(UTC), policy=POLICY)
    db.session.expire_all()
    sent = db.session.get(GradeOutboxEntry, entry.id)
    assert sent.status == OutboxStatus.SENT
    assert sent.maybe_delivered is True
    assert [s["scoreGiven"] for s in platform.scores_for(item.url)] == [3.0]


def test_entry_being_sent_under_a_live_lease_is_not_stuck(app, client, platform):
    course = graded_course(client, platform, students=1)
    item = course.line_item()
    entry = queue(course, item, course.students[0], 3.0)
    outbox_claims.claim_batch(datetime.now(UTC), POLICY, size=10)
    db.session.commit()
    page = client.get(f"/courses/{course.course.id}/teach/grades").get_data(as_text=True)
    assert "Stuck" not in page
    assert f"/grades/{entry.id}/retry" not in page
    answer = client.post(f"/courses/{course.course.id}/teach/grades/{entry.id}/retry")
    assert answer.status_code == 404
