"""Builders for grade-passback tests: a launched course, students, line items on the emulator."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.lti.ags import ALL_SCOPES, AgsSender
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import ReassessmentRequest
from lti_pl.models.grades import GradeOutboxEntry, LineItem
from lti_pl.services import grades, outbox_delivery
from lti_pl.services.line_items import AGGREGATE, PER_TARGET, Passback
from tests.support.platform_emulator import PlatformEmulator


@dataclass
class GradedCourse:
    """A course launched from the emulator, with students and a way to add line items."""

    course: Course
    teacher: Enrollment
    students: list[Enrollment]
    platform: PlatformEmulator

    def line_item(self, label: str = "Mastery", *, target_id: int | None = None) -> LineItem:
        """A line item created on the emulator and recorded in the tool."""
        context = self.course.context_id
        url = f"{self.platform.url}/ags/{context}/lineitems/{label.lower().replace(' ', '-')}"
        self.platform.put_line_item(url, label, context_id=context)
        passback = (
            Passback(PER_TARGET, target_id, (), 100.0)
            if target_id is not None
            else Passback(AGGREGATE, None, (), 100.0)
        )
        item = LineItem(
            course_id=self.course.id,
            url=url,
            label=label,
            score_maximum=100.0,
            passback_mode=passback.mode,
            target_id=target_id,
            target_ids=[],
        )
        db.session.add(item)
        db.session.commit()
        return item


def course_id_from(response: Any) -> int:
    """The course id in a launch's redirect (/courses/<id>/...)."""
    return int(response.headers["Location"].split("/courses/")[1].split("/")[0])


def graded_course(
    client: Any, platform: PlatformEmulator, students: int = 3, context_id: str = "course-1"
) -> GradedCourse:
    """Launch as a teacher, then add `students` enrollments (committed)."""
    response = platform.launch(
        client, role="Instructor", user_id="teacher-1", context_id=context_id
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    course = db.session.get(Course, course_id_from(response))
    assert course is not None
    course.ags_scopes = list(ALL_SCOPES)
    teacher = db.session.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == "teacher")
    ).one()
    people = [
        Person(issuer=platform.issuer, subject=f"student-{i}", name=f"Student {i:04d}")
        for i in range(students)
    ]
    db.session.add_all(people)
    db.session.flush()
    enrollments = [Enrollment(course_id=course.id, person_id=p.id, role="student") for p in people]
    db.session.add_all(enrollments)
    db.session.commit()
    return GradedCourse(course, teacher, enrollments, platform)


#: The claim of a launch that carries the AGS endpoint.
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
#: The AGS scopes a platform grants a tool that passes grades back.
AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)


def ags_claim(
    platform: PlatformEmulator,
    line_item: str | None = None,
    *,
    scope: Iterable[str] = AGS_SCOPES,
    context_id: str = "course-1",
) -> dict[str, Any]:
    """A launch's AGS endpoint claim, as keyword arguments of `platform.launch`: the context's
    line item container and, from a link that has a column, its `lineitem`."""
    claim = {"scope": list(scope), "lineitems": f"{platform.url}/ags/{context_id}/lineitems"}
    if line_item is not None:
        claim["lineitem"] = line_item
    return {AGS_CLAIM: claim}


def push_now(app: Flask) -> outbox_delivery.PushReport:
    """Send the scores due now (as the grade worker would); the session then reads afresh."""
    report = grades.push_pending(sender_for(app), now=datetime.now(UTC))
    db.session.expire_all()
    return report


def evidence_assessed(
    teacher: Any, student: Any, course_id: int, target_id: int, score: str = "2"
) -> None:
    """The student hands in text evidence, ready to be assessed; the teacher assesses it."""
    student.post(
        f"/courses/{course_id}/learn/targets/{target_id}/evidence",
        data={"kind": "text", "text": "2 H2 + O2 -> 2 H2O", "ready": "1"},
    )
    request_ = db.session.scalars(select(ReassessmentRequest)).one()
    teacher.post(
        f"/courses/{course_id}/teach/assess/{request_.id}",
        data={"action": "assess", "score": score, "comment": "Count the oxygen."},
    )


def sender_for(app: Flask, timeout: float | None = None) -> AgsSender:
    """The real AGS sender of the app (its token store and registrations)."""
    runtime = app.extensions["lti_pl"]
    return AgsSender(runtime.tool_conf, runtime.store, timeout or runtime.timeout)


# ------------------------------------------------------------------ a tool in its own database
# Worker tests run `lti-pl worker` as a real process: it needs a database it can open itself (a
# SQLite file, or a scratch PostgreSQL database), not the rolled-back test transaction.


@contextlib.contextmanager
def scratch_database(folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `folder`, or (PostgreSQL runs) a scratch database.

    On PostgreSQL (LTI_PL_TEST_DATABASE_URL) a database named lti_pl_scratch_<random> is created
    beside the test database and dropped afterwards.
    """
    base = os.environ.get("LTI_PL_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{folder / 'scratch.sqlite3'}"
        return
    import psycopg

    admin = base.removeprefix("postgresql+psycopg://").removeprefix("postgresql://")
    server, _, _ = admin.rpartition("/")
    name = f"lti_pl_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{server}/{name}"
    finally:
        for _ in range(30):  # the database may be restarting: try for a while
            try:
                with psycopg.connect(
                    f"postgresql://{server}/postgres", autocommit=True
                ) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                time.sleep(1)


def tool_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a tool process (`lti-pl ...`): LTI_PL_* variables only for the tool."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTI_PL_")}
    env.update(
        {
            "LTI_PL_DATABASE_URL": database_url,
            "LTI_PL_INSTANCE_PATH": str(instance),
            "LTI_PL_SECRET_KEY": "scratch-secret-key-for-tests-only",
            "LTI_PL_BASE_URL": "https://tool.test",
            "LTI_PL_REDIS_URL": "",
            "LTI_PL_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(settings)
    return env


def scratch_app(env: dict[str, str], **overrides: Any) -> Flask:
    """An app on the scratch database with the tables and a tool key (configured like `env`)."""
    from lti_pl import create_app
    from lti_pl.config import config_from_env
    from lti_pl.lti import keys
    from lti_pl.models.base import utcnow

    app = create_app(config_from_env(env) | {"WTF_CSRF_ENABLED": False} | overrides)
    with app.app_context():
        db.create_all()
        if keys.current_key() is None:
            keys.rotate(utcnow())
        db.session.commit()
        db.session.remove()
    return app


def emulator_for(app: Flask) -> PlatformEmulator:
    """A running emulator registered in the app's database, trusting the tool's current JWKS."""
    from lti_pl.lti import keys
    from lti_pl.models.base import utcnow
    from lti_pl.services.platforms import import_registrations

    def tool_jwks() -> dict[str, Any]:
        with app.app_context():
            try:
                return keys.public_jwks(utcnow(), timedelta(days=7))
            finally:
                db.session.remove()

    emulator = PlatformEmulator(tool_jwks=tool_jwks, shared_key=True).start()
    with app.app_context():
        import_registrations(emulator.registration())
        db.session.commit()
        db.session.remove()
    app.extensions["lti_pl"].registrations_changed()
    return emulator


@dataclass(frozen=True)
class SeededCourse:
    """Ids of a course made straight in the database: students and line items (url, id)."""

    course_id: int
    students: list[tuple[int, str]]  # (enrollment id, subject)
    line_items: list[tuple[int, str]]  # (line item id, url)


def seed_course(
    app: Flask, emulator: PlatformEmulator, *, students: int, line_items: int
) -> SeededCourse:
    """A course of the emulator's platform with students and line items (no launch needed)."""
    from lti_pl.models.platforms import Deployment, Platform

    with app.app_context():
        platform_row = db.session.scalars(
            select(Platform).where(Platform.issuer == emulator.issuer)
        ).one()
        deployment = db.session.scalars(
            select(Deployment).where(Deployment.platform_id == platform_row.id)
        ).first()
        assert deployment is not None
        context = emulator.add_context("course-1")
        course = Course(
            platform_id=platform_row.id,
            deployment_id=deployment.id,
            context_id=context.id,
            title=context.title,
            ags_scopes=list(ALL_SCOPES),
        )
        people = [
            Person(issuer=emulator.issuer, subject=f"student-{i}", name=f"Student {i:04d}")
            for i in range(students)
        ]
        db.session.add_all([course, *people])
        db.session.flush()
        enrollments = [
            Enrollment(course_id=course.id, person_id=p.id, role="student") for p in people
        ]
        items = []
        for n in range(line_items):
            url = f"{emulator.url}/ags/{context.id}/lineitems/item-{n}"
            emulator.put_line_item(url, f"Target {n}", context_id=context.id, score_maximum=4)
            items.append(
                LineItem(
                    course_id=course.id,
                    url=url,
                    label=f"Target {n}",
                    score_maximum=4.0,
                    passback_mode=AGGREGATE,
                    target_ids=[],
                )
            )
        db.session.add_all(enrollments + items)
        db.session.commit()
        seeded = SeededCourse(
            course.id,
            [(e.id, p.subject) for e, p in zip(enrollments, people, strict=True)],
            [(i.id, i.url) for i in items],
        )
        db.session.remove()
    return seeded


def queue_final_score(
    course_id: int, line_item: LineItem, enrollment: Enrollment, score: float, *, now: datetime
) -> GradeOutboxEntry:
    """Queue a completed, fully graded score out of 4, with no comment (flush only)."""
    return grades.queue_score(
        course_id=course_id,
        line_item=line_item,
        enrollment=enrollment,
        score_given=score,
        score_maximum=4.0,
        comment="",
        activity_progress="Completed",
        grading_progress="FullyGraded",
        now=now,
    )


def queue_scores(
    app: Flask,
    course: SeededCourse,
    scores: Iterable[tuple[int, int, float]],
    *,
    now: datetime,
    chunk: int = 500,
) -> int:
    """Queue (line item id, enrollment id, score) through `queue_score`, committing per chunk."""
    count = 0
    with app.app_context():
        items = {row.id: row for row in db.session.scalars(select(LineItem))}
        enrollments = {row.id: row for row in db.session.scalars(select(Enrollment))}
        for item_id, enrollment_id, value in scores:
            queue_final_score(
                course.course_id, items[item_id], enrollments[enrollment_id], value, now=now
            )
            count += 1
            if count % chunk == 0:
                db.session.commit()
        db.session.commit()
        db.session.remove()
    return count


def outbox_counts(app: Flask, course_id: int | None = None) -> dict[str, int]:
    """Outbox entries per status."""
    with app.app_context():
        query = select(GradeOutboxEntry.status, func.count(GradeOutboxEntry.id)).group_by(
            GradeOutboxEntry.status
        )
        if course_id is not None:
            query = query.where(GradeOutboxEntry.course_id == course_id)
        counts = {status: n for status, n in db.session.execute(query)}
        db.session.remove()
    return counts


class ToolProcess:
    """`lti-pl ARGS` as a real process; its output goes to a file (read with `output()`)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("ab")
        command = [str(Path(sys.executable).with_name("lti-pl")), *args]
        self.process = subprocess.Popen(
            command, env=env, stdout=self._handle, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` and wait; returns the exit code (killed after `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._handle.close()
        return int(self.process.returncode)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
