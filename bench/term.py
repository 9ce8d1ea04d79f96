"""Every page a teacher and a student open, in a course with a term's worth of data.

Run: `.venv/bin/python -m bench.term [--evidence 4 --assessments 4 --runs 3 --only readiness]`.

The data wall bench's course (300 students × 40 targets, a mastery record and a piece of evidence
on most cells, a few reassessment requests), plus per cell `--evidence` pieces of evidence and
`--assessments` assessments a week apart, and 3 choice boards of 12 activities with 3 done by
every student: what a course holds by mid-term. Each GET page of the
teacher's and of a student's blueprint (every `/teach/` and `/learn/` route whose ids the bench
can fill in) is fetched through the app's WSGI callable, on SQLite, `--runs` times after one
warm-up. Printed per page: status, server time min / median / max, HTML bytes, SQL statements,
and the median as a ratio to the course home's (the baseline: the lightest page, measured in the
same run). Then the parent's pages (an LMS mentor of the first student), and four saves (what a
person waits for after tapping Save: a student's evidence and "I'm ready", a teacher's levels on
several targets and a quick grid of one target), each POST timed to its redirect. Pages past
150 ms or 500 kB (issue #17's budget for the data wall) are marked.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from bench.common import sqlite_app
from bench.data_wall import build
from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ActivityProgress, ChoiceBoard
from lti_pl.models.courses import Enrollment, ObserverLink, Person
from lti_pl.models.evidence import Assessment, Evidence, ReassessmentRequest
from lti_pl.models.targets import LearningTarget
from tests.support.queries import count_queries
from tests.support.routes import page_urls

BUDGET_MS = 150
BUDGET_KB = 500
BOARDS = 3  # choice boards, on the first targets
ACTIVITIES = 12  # per board; every student has done three of each board


def add_term(app: Flask, course_id: int, evidence: int, assessments: int) -> None:
    """More evidence and weekly assessments on every student × target of the course."""
    rng = random.Random(2)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with app.app_context():
        students = db.session.scalars(
            select(Enrollment.id).where(
                Enrollment.course_id == course_id, Enrollment.role == "student"
            )
        ).all()
        targets = db.session.scalars(
            select(LearningTarget.id).where(LearningTarget.course_id == course_id)
        ).all()
        cells = [(s, t) for s in students for t in targets]
        db.session.execute(
            Evidence.__table__.insert(),
            [
                {"course_id": course_id, "enrollment_id": s, "target_id": t, "kind": "text"}
                | {"text": f"more work {k}"}
                for s, t in cells
                for k in range(max(0, evidence - 1))  # the wall bench made one already
            ],
        )
        db.session.execute(
            Assessment.__table__.insert(),
            [
                {"course_id": course_id, "enrollment_id": s, "target_id": t}
                | {"score": round(rng.uniform(0, 4), 2), "comment": "", "rubric_notes": ""}
                | {"source": "evidence"}
                | {"assessed_at": start + timedelta(days=7 * k + rng.randint(0, 4), hours=9)}
                for s, t in cells
                for k in range(assessments)
            ],
        )
        boards = []
        for n, target_id in enumerate(targets[:BOARDS]):
            board = ChoiceBoard(
                course_id=course_id, target_id=target_id, title=f"Board {n + 1}", is_published=True
            )
            modalities = ("read", "watch", "create", "discuss")
            for k in range(ACTIVITIES):
                board.activities.append(
                    Activity(
                        title=f"Activity {k + 1}",
                        modality=modalities[k % 4],
                        readiness=("reteach", "practice", "extension")[k % 3],
                        requirement="must_do" if k < 2 else "may_do",
                        interests=["sports"] if k % 2 else ["music"],
                        position=k,
                    )
                )
            boards.append(board)
        db.session.add_all(boards)
        db.session.flush()
        db.session.execute(
            ActivityProgress.__table__.insert(),
            [
                {"enrollment_id": s, "activity_id": a.id, "status": "done", "reflection": ""}
                for s in students
                for board in boards
                for a in board.activities[:3]
            ],
        )
        db.session.commit()


def measure(app: Flask, client: Any, url: str, runs: int) -> tuple[int, list[float], int, int]:
    """Status, seconds per run, bytes and statements of one page (after a warm-up fetch)."""
    client.get(url)
    times = []
    status = size = count = 0
    with app.app_context():
        engine = db.engine
    for _ in range(runs):
        with count_queries(engine) as statements:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        status, size, count = response.status_code, len(response.data), len(statements)
    return status, times, size, count


def add_parent(course_id: int, student_id: int) -> int:
    """A parent (an LMS mentor) who reads the first student's work; their enrollment id."""
    person = Person(issuer="https://lms.bench", subject="parent", name="A parent")
    db.session.add(person)
    db.session.flush()
    parent = Enrollment(course_id=course_id, person_id=person.id, role="observer")
    db.session.add(parent)
    db.session.flush()
    db.session.add(ObserverLink(observer_id=parent.id, student_id=student_id))
    db.session.commit()
    return parent.id


def saves(
    app: Flask, clients: dict[str, Any], ids: dict[str, int], runs: int, baseline: float
) -> list[str]:
    """What a person waits for after Save: each POST's time to its redirect, `runs` times."""
    course, target, student = ids["course_id"], ids["target_id"], ids["student_id"]
    grid = {f"score_{student}_{target}": "3", "target": str(target), "comment": "Exit ticket"}
    posts = (
        (
            "student",
            f"/courses/{course}/learn/targets/{target}/evidence",
            {"kind": "text", "text": "I explained it to my group."},
        ),
        # A student asks once per target: each run asks on the next target.
        ("student", f"/courses/{course}/learn/targets/{{next}}/ready", {"note": "Ready"}),
        (
            "teacher",
            f"/courses/{course}/teach/evidence/{ids['evidence_id']}/targets",
            {f"score_{target}": "3", "comment": "Good"},
        ),
        ("teacher", f"/courses/{course}/teach/quick-grid", grid),
    )
    lines = []
    with app.app_context():
        engine = db.engine
    with app.app_context():
        others = db.session.scalars(
            select(LearningTarget.id)
            .where(LearningTarget.course_id == course, LearningTarget.id != target)
            .order_by(LearningTarget.id.desc())
        ).all()
    for who, url, data in posts:
        times, status, count = [], 0, 0
        for run in range(runs + 1):  # the first is a warm-up
            with count_queries(engine) as statements:
                started = time.perf_counter()
                response = clients[who].post(url.replace("{next}", str(others[run])), data=data)
                times.append(time.perf_counter() - started)
            status, count = response.status_code, len(statements)
        ms = sorted(1000 * t for t in times[1:])
        median = statistics.median(ms)
        lines.append(
            f"{'!' if median > BUDGET_MS else ' '} {who:7} {status} {ms[0]:8.1f} / {median:8.1f} / "
            f"{ms[-1]:8.1f} ms {median / (1000 * baseline):7.1f}x {'save':>8} {'':2} "
            f"{count:4d} stmts  POST {url.replace('{next}', '<t>')}"
        )
    return lines


def main() -> None:
    """Build the term, fetch every page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", type=int, default=4, help="pieces per student × target")
    parser.add_argument("--assessments", type=int, default=4, help="per student × target")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="pages whose route contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = sqlite_app(folder, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False)
        course_id, teacher_id = build(app)
        add_term(app, course_id, args.evidence, args.assessments)
        with app.app_context():
            student_id = db.session.scalar(
                select(Enrollment.id)
                .where(Enrollment.course_id == course_id, Enrollment.role == "student")
                .order_by(Enrollment.id)
            )
            ids = {
                "course_id": course_id,
                "enrollment_id": student_id,
                "student_id": student_id,
                "target_id": db.session.scalar(select(LearningTarget.id).limit(1)),
                "evidence_id": db.session.scalar(
                    select(Evidence.id).where(Evidence.enrollment_id == student_id).limit(1)
                ),
                "request_id": db.session.scalar(select(ReassessmentRequest.id).limit(1)) or 1,
                "board_id": db.session.scalar(select(ChoiceBoard.id).limit(1)),
                "activity_id": db.session.scalar(select(Activity.id).limit(1)),
            }
            counts = (
                db.session.scalar(select(db.func.count(Evidence.id))),
                db.session.scalar(select(db.func.count(Assessment.id))),
            )
            parent_id = add_parent(course_id, student_id)
            ids["student_enrollment_id"] = student_id
        gc.collect()
        gc.freeze()  # as an `lti-pl serve` worker does after start-up
        lines = []
        baseline = 0.0
        clients = {}
        for who, enrollment_id, prefix in (
            ("teacher", teacher_id, "/teach/"),
            ("student", student_id, "/learn/"),
            ("parent", parent_id, "/learn/observe"),
        ):
            client = clients[who] = app.test_client()
            with client.session_transaction() as session:
                role = "observer" if who == "parent" else who
                session["launches"] = {str(course_id): {"e": enrollment_id, "r": role}}
            home = f"/courses/{course_id}{prefix}"
            if not baseline:
                baseline = statistics.median(measure(app, client, home, args.runs)[1])
            for url in page_urls(app, prefix, ids, args.only):
                if who == "student" and "/observe" in url:
                    continue  # the parent's pages, below
                status, times, size, count = measure(app, client, url, args.runs)
                ms = sorted(1000 * t for t in times)
                median = statistics.median(ms)
                over = median > BUDGET_MS or size > BUDGET_KB * 1000
                lines.append(
                    f"{'!' if over else ' '} {who:7} {status} {ms[0]:8.1f} / {median:8.1f} / "
                    f"{ms[-1]:8.1f} ms {median / (1000 * baseline):7.1f}x {size / 1000:8.1f} kB "
                    f"{count:4d} stmts  {url}"
                )
        if not args.only:
            lines += saves(app, clients, ids, args.runs, baseline)
        print(
            f"a term: 300 students x 40 targets, {counts[0]} pieces of evidence, {counts[1]}"
            f" assessments (SQLite); baseline the teacher's course home {1000 * baseline:.1f} ms"
        )
        print("  who     status  min / median / max ms   ratio  size  statements  page")
        print("\n".join(lines))
        print(f"! over {BUDGET_MS} ms or {BUDGET_KB} kB")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
