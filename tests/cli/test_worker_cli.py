"""The grade worker as it runs in production: `lti-pl grades push`, `lti-pl worker` as a real
process (polling, and RQ with the local Redis), and the in-process thread woken by a request.

The worker processes get their own database (a SQLite file, or a scratch PostgreSQL database on
the PostgreSQL run) and reach the emulator, which runs in this test process, over 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_pl import create_app
from lti_pl.config import config_from_env
from lti_pl.extensions import db
from lti_pl.jobs import grade_delivery
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from tests.conftest import HttpsClient
from tests.support.grades import (
    ToolProcess,
    ags_claim,
    emulator_for,
    graded_course,
    outbox_counts,
    queue_final_score,
    queue_scores,
    scratch_app,
    scratch_database,
    seed_course,
    tool_environment,
    wait_until,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REDIS_URL = os.environ.get("LTI_PL_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="LTI_PL_TEST_REDIS_URL not set")


@pytest.fixture
def scratch(tmp_path: Path):
    """(database URL, instance folder) of a tool database that worker processes can open."""
    with scratch_database(tmp_path) as url:
        yield url, tmp_path / "instance"


def every_score(course, value=3.0):
    return [
        (item_id, enrollment_id, value)
        for item_id, _ in course.line_items
        for enrollment_id, _ in course.students
    ]


def arrived_everywhere(emulator, course, value=3.0) -> bool:
    return all(
        len(emulator.final_scores(url)) == len(course.students)
        and all(s["scoreGiven"] == value for s in emulator.final_scores(url).values())
        for _, url in course.line_items
    )


# ---------------------------------------------------------------------------- lti-pl grades push
def test_grades_push_command_sends_due_scores_and_reports_counts(app, client, platform, runner):

    course = graded_course(client, platform, students=3)
    item = course.line_item()
    course_id, item_url, context_id = course.course.id, item.url, course.course.context_id
    for student in course.students:
        queue_final_score(course_id, item, student, 2.0, now=NOW)
    db.session.commit()
    del platform.line_items[item_url]  # deleted in the LMS: 404, failed for good

    first = runner.invoke(args=["grades", "push", "--course", str(course_id)])

    assert first.exit_code == 0, first.output
    assert "sent=0 retry_later=0 failed=3 superseded=0" in first.output
    platform.put_line_item(item_url, "Mastery", context_id=context_id)
    assert client.post(f"/courses/{course_id}/teach/grades/retry-all").status_code == 303

    second = runner.invoke(args=["grades", "push"])

    assert second.exit_code == 0, second.output
    assert "sent=3 " in second.output
    assert set(platform.final_scores(item_url)) == {"student-0", "student-1", "student-2"}
    page = client.get(f"/courses/{course_id}/teach/grades").get_data(as_text=True)
    assert "Sent: 3" in page
    assert "Failed: 0" in page


# ------------------------------------------------------------------------- lti-pl worker (poll)
def test_polling_worker_process_sends_queued_scores_and_stops_on_sigterm(scratch, tmp_path):
    url, instance = scratch
    env = tool_environment(url, instance, LTI_PL_HTTP_TIMEOUT="2")
    app = scratch_app(env)
    emulator = emulator_for(app)
    try:
        course = seed_course(app, emulator, students=4, line_items=2)
        worker = ToolProcess(["worker", "--poll", "0.2"], env, tmp_path / "worker.log")
        try:
            assert wait_until(lambda: "polling every" in worker.output(), 30), worker.output()
            queue_scores(app, course, every_score(course), now=NOW)

            assert wait_until(lambda: arrived_everywhere(emulator, course), 30), worker.output()
            assert wait_until(lambda: outbox_counts(app) == {"sent": 8}, 10), outbox_counts(app)
        finally:
            code = worker.stop(signal.SIGTERM)
        assert code == 0, worker.output()
        assert "grade worker stopped" in worker.output()
        assert all(r["status"] == 200 for r in emulator.score_requests)
        assert len(emulator.score_requests) == 8  # each score sent once
    finally:
        emulator.stop()
        with app.app_context():
            db.engine.dispose()


# --------------------------------------------------------------------------- lti-pl worker (RQ)
@needs_redis
def test_rq_worker_process_sends_scores_when_a_course_push_is_enqueued(scratch, tmp_path):
    from redis import Redis
    from rq import Queue, Worker

    url, instance = scratch
    env = tool_environment(url, instance, LTI_PL_HTTP_TIMEOUT="2", LTI_PL_REDIS_URL=REDIS_URL)
    app = scratch_app(env)
    assert grade_delivery.worker_mode(app) == "rq"  # "auto" with Redis
    connection = Redis.from_url(REDIS_URL)
    queue = Queue(grade_delivery.RQ_QUEUE, connection=connection)
    queue.empty()
    emulator = emulator_for(app)
    try:
        course = seed_course(app, emulator, students=3, line_items=2)
        worker = ToolProcess(["worker"], env, tmp_path / "worker.log")
        try:
            assert wait_until(lambda: "RQ queue" in worker.output(), 30), worker.output()
            assert wait_until(
                lambda: any(
                    w.queue_names() == [grade_delivery.RQ_QUEUE]
                    for w in Worker.all(connection=connection)
                ),
                30,
            ), worker.output()
            queue_scores(app, course, every_score(course, 1.0), now=NOW)
            grade_delivery.enqueue_course_push(app, course.course_id)

            assert wait_until(lambda: arrived_everywhere(emulator, course, 1.0), 60), (
                worker.output()
            )
            assert wait_until(lambda: outbox_counts(app) == {"sent": 6}, 10), outbox_counts(app)
        finally:
            code = worker.stop(signal.SIGTERM, timeout=30)
        assert code == 0, worker.output()
        assert len(emulator.score_requests) == 6
    finally:
        emulator.stop()
        queue.empty()
        with app.app_context():
            db.engine.dispose()


# ------------------------------------------------------------------ the in-process worker thread
def test_worker_thread_started_by_the_hooks_wakes_after_a_request_queued_a_score(scratch):
    url, instance = scratch
    env = tool_environment(url, instance, LTI_PL_HTTP_TIMEOUT="2")
    app = scratch_app(env, TESTING=True, LTI_PL_WORKER="auto")
    app.test_client_class = HttpsClient
    assert grade_delivery.worker_mode(app) == "thread"  # "auto" without Redis
    emulator = emulator_for(app)
    # Polls only every 10 minutes: a score arriving within the test came from the wake-up.
    worker = grade_delivery.start_worker(app, poll_interval=600)
    try:
        assert worker is not None
        assert app.extensions["lti_pl_worker_hooks"]["start"]() is worker  # serve's hook
        assert worker.is_running
        teacher = app.test_client()
        launch = emulator.launch(teacher, role="Instructor", user_id="teacher-1")
        course_id = int(launch.headers["Location"].split("/courses/")[1].split("/")[0])
        created = teacher.post(
            f"/courses/{course_id}/teach/targets",
            data={"statement": "I can balance equations", "unit": "Reactions"},
        )
        assert created.status_code == 303
        with app.app_context():
            target_id = db.session.scalars(select(LearningTarget.id)).one()
            db.session.remove()
        line_item_url = f"{emulator.url}/ags/course-1/lineitems/target1"
        emulator.put_line_item(line_item_url, "Balance", context_id="course-1")
        student = app.test_client()
        emulator.launch(
            student,
            role="Learner",
            user_id="student-1",
            name="Sam Student",
            resource_link_id="link-target-1",
            custom={"lti_pl_target": str(target_id)},
            **ags_claim(
                emulator,
                line_item_url,
                scope=[
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                ],
            ),
        )
        with app.app_context():
            assert db.session.scalars(select(LineItem.url)).all() == [line_item_url]
            db.session.remove()

        sent = student.post(
            f"/courses/{course_id}/learn/targets/{target_id}/evidence",
            data={"kind": "text", "text": "2 H2 + O2 -> 2 H2O", "ready": "1"},
        )

        assert sent.status_code == 303
        assert wait_until(lambda: "student-1" in emulator.final_scores(line_item_url), 20)
        score = emulator.final_scores(line_item_url)["student-1"]
        assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "Pending")
        assert wait_until(lambda: outbox_counts(app) == {"sent": 1}, 10), outbox_counts(app)
    finally:
        worker.stop()
        emulator.stop()
        with app.app_context():
            db.engine.dispose()
    assert not worker.is_running


# ------------------------------------------------------------------------------ LTI_PL_WORKER
@pytest.mark.parametrize(
    ("setting", "redis_url", "mode"),
    [
        pytest.param(None, None, "thread", id="auto-without-redis-is-thread"),
        pytest.param(None, "redis://127.0.0.1:6379/15", "rq", id="auto-with-redis-is-rq"),
        pytest.param("rq", None, "thread", id="rq-without-redis-falls-back-to-thread"),
        pytest.param("thread", "redis://127.0.0.1:6379/15", "thread", id="thread-forced"),
        pytest.param("external", None, "external", id="external"),
    ],
)
def test_worker_mode_defaults_to_auto(tmp_path, setting, redis_url, mode):
    environ = {"LTI_PL_INSTANCE_PATH": str(tmp_path), "LTI_PL_SECRET_KEY": "x" * 32}
    if setting is not None:
        environ["LTI_PL_WORKER"] = setting
    if redis_url is not None:
        environ["LTI_PL_REDIS_URL"] = redis_url
    config = config_from_env(environ)
    assert config["LTI_PL_WORKER"] == (setting or "auto")
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert grade_delivery.worker_mode(create_app(config)) == mode
    started = grade_delivery.start_worker(create_app(config))
    assert (started is not None) == (mode == "thread")
    if started is not None:
        started.stop()


@needs_redis
def test_auto_mode_with_redis_wakes_rq_after_a_retry_request(app, client, platform):
    from redis import Redis
    from rq import Queue

    assert grade_delivery.worker_mode(app) == "rq"
    course = graded_course(client, platform, students=1)
    queue = Queue(grade_delivery.RQ_QUEUE, connection=Redis.from_url(REDIS_URL))
    queue.empty()

    answer = client.post(f"/courses/{course.course.id}/teach/grades/retry-all")

    assert answer.status_code == 303
    assert f"push-course-{course.course.id}" in queue.job_ids
    queue.empty()


def test_retry_policy_comes_from_the_grade_settings(tmp_path):
    environ = {
        "LTI_PL_INSTANCE_PATH": str(tmp_path),
        "LTI_PL_SECRET_KEY": "x" * 32,
        "LTI_PL_GRADE_RETRY_BASE": "0.25",
        "LTI_PL_GRADE_RETRY_MAX": "3",
        "LTI_PL_GRADE_MAX_ATTEMPTS": "40",
        "LTI_PL_GRADE_LEASE": "9",
    }
    config = config_from_env(environ) | {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"
    }
    policy = grade_delivery.retry_policy(create_app(config))
    assert (policy.base, policy.cap, policy.max_attempts, policy.lease) == (0.25, 3.0, 40, 9.0)


# ------------------------------------------------------------- a claim whose worker was killed
@needs_redis
def test_running_rq_worker_takes_over_a_dead_workers_expired_lease(scratch, tmp_path):
    """A job killed mid-send leaves its entries SENDING; nothing re-enqueues them. The running
    `lti-pl worker` must send them on its own once the lease ends (lease + one poll)."""
    from datetime import timedelta

    from redis import Redis
    from rq import Queue
    from sqlalchemy import update

    from lti_pl.models.base import utcnow
    from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus

    url, instance = scratch
    env = tool_environment(
        url, instance, LTI_PL_HTTP_TIMEOUT="2", LTI_PL_REDIS_URL=REDIS_URL, LTI_PL_GRADE_LEASE="2"
    )
    app = scratch_app(env, LTI_PL_WORKER="external")  # this process enqueues nothing
    queue = Queue(grade_delivery.RQ_QUEUE, connection=Redis.from_url(REDIS_URL))
    queue.empty()
    emulator = emulator_for(app)
    try:
        course = seed_course(app, emulator, students=3, line_items=1)
        worker = ToolProcess(["worker", "--poll", "0.5"], env, tmp_path / "worker.log")
        try:
            assert wait_until(lambda: "RQ queue" in worker.output(), 30), worker.output()
            # Not due for an hour: whatever the commit enqueues finds nothing to send.
            queue_scores(app, course, every_score(course, 2.0), now=utcnow() + timedelta(hours=1))
            with app.app_context():  # a worker claimed them, then was killed
                db.session.execute(
                    update(GradeOutboxEntry).values(
                        status=OutboxStatus.SENDING,
                        attempts=1,
                        next_attempt_at=utcnow() + timedelta(seconds=2),
                    )
                )
                db.session.commit()
                db.session.remove()

            assert wait_until(lambda: arrived_everywhere(emulator, course, 2.0), 20), (
                worker.output()
            )
            assert wait_until(lambda: outbox_counts(app) == {"sent": 3}, 10), outbox_counts(app)
        finally:
            code = worker.stop(signal.SIGTERM, timeout=30)
        assert code == 0, worker.output()
        for url_ in (u for _, u in course.line_items):
            assert len(emulator.final_scores(url_)) == 3  # one final score per student
    finally:
        emulator.stop()
        queue.empty()
        with app.app_context():
            db.engine.dispose()


def test_worker_cycle_purges_expired_nonces(app):
    from datetime import timedelta

    from lti_pl.models.base import utcnow
    from lti_pl.models.platforms import UsedNonce

    now = utcnow()
    db.session.add_all(
        [
            UsedNonce(
                issuer="https://lms.example", nonce="old", expires_at=now - timedelta(minutes=1)
            ),
            UsedNonce(
                issuer="https://lms.example", nonce="live", expires_at=now + timedelta(minutes=10)
            ),
        ]
    )
    db.session.commit()

    grade_delivery.worker_cycle(app)

    kept = db.session.scalars(select(UsedNonce.nonce)).all()
    assert kept == ["live"]
