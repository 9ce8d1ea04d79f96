"""First launches that race: many students into a course nobody opened yet, and one student into
several new courses at once. Every launch lands, with one course row and one person row each
(services.launches: the person's INSERT ... ON CONFLICT DO NOTHING, and get_or_create's savepoint
where another transaction may insert the same row, none where it cannot)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from tests.conftest import HttpsClient
from tests.support.grades import emulator_for, scratch_app, scratch_database, tool_environment


def _all_at_once(jobs: list[Any]) -> list[Any]:
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        start.wait(timeout=30)
        try:
            results[index] = jobs[index]()
        except Exception as error:  # reported below, with the others
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_racing_first_launches_all_land_once(tmp_path: Path):
    with scratch_database(tmp_path) as url:
        app = scratch_app(tool_environment(url, tmp_path / "instance"))
        app.test_client_class = HttpsClient
        emulator = emulator_for(app)
        try:

            def launch(user_id: str, context_id: str) -> Any:
                return lambda: (
                    emulator.launch(
                        app.test_client(), role="Learner", user_id=user_id, context_id=context_id
                    ).status_code
                )

            students = [launch(f"student-{n}", "new-course") for n in range(8)]
            one_student = [launch("roaming", f"course-{n}") for n in range(4)]
            statuses = _all_at_once(students + one_student)
            assert statuses == [200] * 12, statuses  # each launch renders its home
            with app.app_context():
                courses = db.session.scalars(select(Course.context_id)).all()
                assert sorted(courses) == sorted(["new-course"] + [f"course-{n}" for n in range(4)])
                people = db.session.scalars(select(Person.subject)).all()
                assert sorted(people) == sorted([f"student-{n}" for n in range(8)] + ["roaming"])
                assert db.session.scalar(select(func.count(Enrollment.id))) == 12
        finally:
            emulator.stop()
            with app.app_context():
                db.engine.dispose()
