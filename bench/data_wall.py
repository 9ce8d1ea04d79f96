"""Data wall timing: 300 students × 40 targets in a temporary SQLite database.

Run: `.venv/bin/python -m bench.data_wall` (add `--no-per-cell` to skip the slow baseline).
Prints server time (min / median / max), SQL statements and HTML bytes of the page a teacher
opens (the first page of students, the summary row over all of them), and the same for two
in-run baselines: every student on one page (the wall before paging) and a naive build that
queries each cell on its own; then the ratios. Goal (issue 17): < 150 ms and < 500 KB.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template
from sqlalchemy import func, select

from bench.common import sqlite_app
from lti_pl.domain.profiles import StructureDial
from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import Evidence, MasteryRecord, ReassessmentRequest
from lti_pl.models.platforms import Deployment, Platform
from lti_pl.models.targets import LearningTarget
from lti_pl.services import data_wall, wall_cells
from lti_pl.services.enrollments import course_students
from lti_pl.services.profiles import dial_for
from lti_pl.services.targets import list_targets
from tests.support.builders import add_students
from tests.support.queries import count_queries

STUDENTS = 300
TARGETS = 40
RUNS = 3


def build(app: Flask, seed: int = 1) -> tuple[int, int]:
    """Fill the database; return (course id, teacher enrollment id)."""
    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        platform = Platform(
            issuer="https://lms.bench",
            client_id="bench",
            auth_login_url="https://lms.bench/auth",
            auth_token_url="https://lms.bench/token",  # noqa: S106 - a URL, not a secret
        )
        db.session.add(platform)
        db.session.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id="1")
        db.session.add(deployment)
        db.session.flush()
        course = Course(
            platform_id=platform.id, deployment_id=deployment.id, context_id="c", method_params={}
        )
        db.session.add(course)
        db.session.flush()
        teacher_person = Person(issuer="https://lms.bench", subject="t", name="Teacher")
        db.session.add(teacher_person)
        db.session.flush()
        teacher = Enrollment(course_id=course.id, person_id=teacher_person.id, role="teacher")
        db.session.add(teacher)
        targets = [
            LearningTarget(course_id=course.id, statement=f"I can skill {n}", position=n)
            for n in range(TARGETS)
        ]
        db.session.add_all(targets)
        students = add_students(course.id, STUDENTS, issuer="https://lms.bench", subject_prefix="s")
        rows: list[Any] = []
        for student in students:
            for target in targets:
                if rng.random() < 0.15:
                    continue
                score = round(rng.uniform(0, 4), 2)
                rows.append(
                    MasteryRecord(
                        course_id=course.id,
                        enrollment_id=student.id,
                        target_id=target.id,
                        method="decaying_average",
                        score=score,
                        level_points=float(int(score)),
                        label="",
                        is_mastered=score >= 3,
                        details={},
                    )
                )
                rows.append(
                    Evidence(
                        course_id=course.id,
                        enrollment_id=student.id,
                        target_id=target.id,
                        kind="text",
                        text="work",
                    )
                )
                if rng.random() < 0.02:
                    rows.append(
                        ReassessmentRequest(
                            course_id=course.id, enrollment_id=student.id, target_id=target.id
                        )
                    )
        db.session.add_all(rows)
        db.session.commit()
        return course.id, teacher.id


def naive_wall(course: Course) -> data_wall.DataWall:
    """The same wall, one query per cell for mastery, evidence and requests (the baseline)."""
    scale = wall_cells.scale_of(course)
    targets = list_targets(course.id)
    rows = []
    for student in course_students(course.id):
        cells = []
        for target in targets:
            record = db.session.scalars(
                select(MasteryRecord).where(
                    MasteryRecord.enrollment_id == student.id, MasteryRecord.target_id == target.id
                )
            ).first()
            count = db.session.scalar(
                select(func.count(Evidence.id)).where(
                    Evidence.enrollment_id == student.id, Evidence.target_id == target.id
                )
            )
            ready = db.session.scalars(
                select(ReassessmentRequest.id).where(
                    ReassessmentRequest.enrollment_id == student.id,
                    ReassessmentRequest.target_id == target.id,
                    ReassessmentRequest.status == "pending",
                )
            ).first()
            cells.append(
                wall_cells._cell(  # the baseline must build identical cells
                    record, target.id, scale, is_ready=ready is not None, evidence_count=count or 0
                )
            )
        rows.append(
            data_wall.WallRow(
                student.id,
                student.person.display_name,
                student.section,
                dial_for(student).value,
                tuple(cells),
            )
        )
    return data_wall.DataWall(tuple(targets), tuple(rows), (), scale, "student", False, "", None)


def timed(app: Flask, run: Callable[[], int], runs: int) -> tuple[list[float], int, int]:
    """Seconds of each run, statements per run, and the page size (after one warm-up run)."""
    run()
    with app.app_context():
        engine = db.engine
    times = []
    size = 0
    count = 0
    for _ in range(runs):
        with count_queries(engine) as statements:
            start = time.perf_counter()
            size = run()
            times.append(time.perf_counter() - start)
        count = len(statements)
    return times, count, size


def main(argv: list[str] | None = None) -> None:
    per_cell = "--no-per-cell" not in (sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory() as folder:
        app = sqlite_app(
            folder,
            SECRET_KEY="bench-only",  # noqa: S106 - a bench app
            WTF_CSRF_ENABLED=False,
            SESSION_COOKIE_SECURE=False,
        )
        course_id, teacher_id = build(app)
        client = app.test_client()
        with client.session_transaction() as session:
            session["launches"] = {str(course_id): {"e": teacher_id, "r": "teacher"}}
        url = f"/courses/{course_id}/teach/data-wall"
        # As in an `lti-pl serve` worker (lti_pl/server.py): what lives from startup on is
        # frozen out of the cyclic collector, so a request pays for its own objects only.
        gc.collect()
        gc.freeze()

        def fast() -> int:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return len(response.data)

        def render(make: Callable[[Course], data_wall.DataWall]) -> int:
            with app.test_request_context(url) as ctx:
                ctx.match_request()
                course = db.session.get(Course, course_id)
                assert course is not None
                html = render_template(
                    "instructor/data_wall/wall.html",
                    course_id=course_id,
                    wall=make(course),
                    statuses=list(wall_cells.CellStatus),
                    dials=list(StructureDial),
                    bands=data_wall.BAND_LABELS,
                )
                db.session.remove()
                return len(html.encode())

        def one_page() -> int:
            return render(lambda course: data_wall.build_wall(course, per_page=STUDENTS))

        def naive() -> int:
            return render(naive_wall)

        results = [
            ("first page", *timed(app, fast, RUNS), f"{RUNS} runs"),
            ("one page", *timed(app, one_page, RUNS), f"{RUNS} runs, all students"),
        ]
        if per_cell:
            # The per-cell baseline is slow: one timed run after the warm-up.
            results.append(("per-cell", *timed(app, naive, 1), "one run"))
        print(f"data wall {STUDENTS} students x {TARGETS} targets (SQLite)")
        for name, times, count, size, note in results:
            ms = sorted(t * 1000 for t in times)
            print(
                f"  {name:11}: min {ms[0]:8.1f} / median {statistics.median(ms):8.1f} / "
                f"max {ms[-1]:8.1f} ms {count:6d} statements {size / 1000:8.1f} kB ({note})"
            )
        base = statistics.median(results[0][1])
        for name, times, count, size, _ in results[1:]:
            print(
                f"  ratio {name:11}/ first page: {statistics.median(times) / base:6.1f}x time "
                f"{size / results[0][3]:5.1f}x bytes {count / max(results[0][2], 1):6.0f}x "
                "statements"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
