"""Issue #8: 10,000 scores through a platform failing 30 % of AGS calls, a worker process killed
and restarted midway, and (on PostgreSQL) the database restarted under the running worker.

The worker is the real `lti-pl worker` process on its own database (a SQLite file, or a scratch
PostgreSQL database); the emulator runs in this process on 127.0.0.1 and records every score it
accepts. Backoff, lease and HTTP timeout are shortened through LTI_PL_* settings so the run fits
in a few minutes on two cores.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.lti.ags import iso_timestamp
from lti_pl.models.courses import Enrollment, Person
from lti_pl.models.grades import GradeOutboxEntry, LineItem, OutboxStatus
from lti_pl.services import grade_sync_status
from tests.support.grades import (
    ToolProcess,
    emulator_for,
    outbox_counts,
    queue_scores,
    scratch_app,
    scratch_database,
    seed_course,
    tool_environment,
    wait_until,
)
from tests.support.platform_emulator import Fault

STUDENTS = 100
LINE_ITEMS = 100
FAULTS = Fault(
    rate=0.3,
    kinds=("500", "429", "reset", "slow"),
    # A "slow" answer costs the worker a whole HTTP timeout: rarer, but present.
    weights=(10, 10, 10, 1),
    retry_after=1,
    slow_seconds=0.6,
)
WORKER_SETTINGS = {
    "LTI_PL_HTTP_TIMEOUT": "0.5",
    "LTI_PL_GRADE_RETRY_BASE": "0.05",
    "LTI_PL_GRADE_RETRY_MAX": "1",
    "LTI_PL_GRADE_MAX_ATTEMPTS": "200",
    "LTI_PL_GRADE_LEASE": "8",
    "LTI_PL_WORKER": "external",
}


def on_postgresql() -> bool:
    return os.environ.get("LTI_PL_TEST_DATABASE_URL", "").startswith("postgresql")


def restart_postgresql() -> None:
    """Restart the local cluster and wait until it accepts connections again."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        [
            shutil.which("pg_ctlcluster") or "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            "restart",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    ready = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]
    assert wait_until(lambda: subprocess.run(ready, check=False).returncode == 0, 60, 0.5)


def accepted(emulator) -> int:
    with emulator.lock:
        return sum(len(history) for history in emulator.scores.values())


@pytest.mark.slow
@pytest.mark.exclusive
@pytest.mark.skipif(
    not on_postgresql(),
    reason="runs in the PostgreSQL pass of .ci/run (the production database), where it also "
    "restarts the database; the smaller fault tests of this module run on SQLite",
)
def test_ten_thousand_scores_arrive_once_through_faults_worker_kill_and_db_restart(tmp_path: Path):
    rng = random.Random(8)
    with scratch_database(tmp_path) as url:
        env = tool_environment(url, tmp_path / "instance", **WORKER_SETTINGS)
        app = scratch_app(env)
        emulator = emulator_for(app)
        workers: list[ToolProcess] = []
        try:
            course = seed_course(app, emulator, students=STUDENTS, line_items=LINE_ITEMS)
            emulator.random.seed(8)
            emulator.faults["ags"] = FAULTS
            pairs = [(i, e) for i, _ in course.line_items for e, _ in course.students]
            expected = {pair: float(rng.randint(0, 4)) for pair in pairs}
            now = datetime.now(UTC)
            # The first scores wait in the outbox; the worker starts while the rest flow in.
            queue_scores(app, course, [(*p, expected[p]) for p in pairs[:2000]], now=now)
            workers.append(ToolProcess(["worker", "--poll", "0.1"], env, tmp_path / "w1.log"))
            for start in range(2000, len(pairs), 2000):
                chunk = pairs[start : start + 2000]
                queue_scores(app, course, [(*p, expected[p]) for p in chunk], now=now, chunk=100)

            # Kill the worker mid-run (no clean-up at all) and start another one.
            assert wait_until(lambda: accepted(emulator) >= 2500, 120), workers[0].output()
            assert workers[0].stop(signal.SIGKILL) == -signal.SIGKILL
            # Its successors: two workers side by side (claims never overlap).
            for name in ("w2", "w3"):
                log = tmp_path / f"{name}.log"
                workers.append(ToolProcess(["worker", "--poll", "0.1"], env, log))

            # Newer scores for a tenth of the pairs while the new worker runs: they supersede
            # unsent ones or follow sent ones.
            assert wait_until(lambda: accepted(emulator) >= 4000, 120), workers[1].output()
            newer = rng.sample(pairs, len(pairs) // 10)
            for pair in newer:
                expected[pair] = float(rng.randint(0, 4)) + 0.5
            queue_scores(app, course, [(*p, expected[p]) for p in newer], now=datetime.now(UTC))
            if on_postgresql():
                assert wait_until(lambda: accepted(emulator) >= 6000, 120), workers[1].output()
                restart_postgresql()

            def drained() -> bool:
                counts = outbox_counts(app)
                return not counts.get(OutboxStatus.PENDING) and not counts.get(OutboxStatus.SENDING)

            assert wait_until(drained, 150, 0.5), (outbox_counts(app), workers[1].output())
            for worker in workers[1:]:  # they survived
                assert worker.process.poll() is None, worker.output()
                assert worker.stop(signal.SIGTERM) == 0, worker.output()
            emulator.faults.clear()

            check_arrivals(app, emulator, course, expected)
        finally:
            for worker in workers:
                worker.stop(signal.SIGKILL)
            emulator.stop()
            with app.app_context():
                db.engine.dispose()


def check_arrivals(app, emulator, course, expected) -> None:
    urls = dict(course.line_items)
    subjects = dict(course.students)
    failed_requests = sum(1 for r in emulator.score_requests if r["status"] != 200)
    assert failed_requests > 2000  # the faults happened
    statuses = Counter(r["status"] for r in emulator.score_requests)
    assert {429, 500, 503} <= set(statuses)  # 503: the slow answers, after our timeout
    # Every final score arrived, with the newest value.
    for (item_id, enrollment_id), value in expected.items():
        final = emulator.final_scores(urls[item_id]).get(subjects[enrollment_id])
        assert final is not None, (item_id, enrollment_id)
        assert final["scoreGiven"] == value, (item_id, enrollment_id)
    with app.app_context():
        counts = outbox_counts(app)
        assert set(counts) <= {OutboxStatus.SENT, OutboxStatus.SUPERSEDED}, counts
        # Each accepted score is one outbox entry's score, accepted once: nothing was sent
        # twice, and nothing was re-stamped and sent again after it had arrived.
        stamps = Counter()
        rows = db.session.execute(
            select(LineItem.url, Person.subject, GradeOutboxEntry.timestamp)
            .join(LineItem, LineItem.id == GradeOutboxEntry.line_item_id)
            .join(Enrollment, Enrollment.id == GradeOutboxEntry.enrollment_id)
            .join(Person, Person.id == Enrollment.person_id)
        ).all()
        ours = {(u, s, iso_timestamp(t)) for u, s, t in rows}
        for url in urls.values():
            for score in emulator.scores_for(url):
                stamps[(url, score["userId"], score["timestamp"])] += 1
        assert max(stamps.values()) == 1
        assert set(stamps) <= ours
        # The teacher's view: the latest score of every student and column is sent.
        rows_shown = grade_sync_status.sync_status(course.course_id, now=datetime.now(UTC))
        assert len(rows_shown) == len(expected)
        assert {row.entry.status for row in rows_shown} == {OutboxStatus.SENT}
        assert {
            (row.entry.line_item_id, row.entry.enrollment_id): row.entry.score_given
            for row in rows_shown
        } == expected
        db.session.remove()
