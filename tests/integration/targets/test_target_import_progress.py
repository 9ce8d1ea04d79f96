"""The CSV import of targets runs as a background job with live progress (issue 14)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.jobs import target_import as job
from lti_pl.models.jobs import JobProgress, TargetImport
from lti_pl.models.targets import LearningTarget, Unit
from lti_pl.services import job_progress, target_imports
from lti_pl.services import targets as service
from tests.support.builders import make_course, make_student, make_teacher, sign_in

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEADER = "statement,unit,standard_code,calculation_method\n"


def upload(client, course_id, text):
    return client.post(
        f"/courses/{course_id}/teach/targets/import",
        data={"file": (io.BytesIO(text.encode()), "targets.csv")},
        content_type="multipart/form-data",
    )


def latest_import(course_id):
    return db.session.scalars(
        select(JobProgress)
        .where(JobProgress.course_id == course_id, JobProgress.kind == job_progress.TARGET_IMPORT)
        .order_by(JobProgress.id.desc())
    ).first()


def rows_of(course_id):
    return [
        (t.statement, t.unit.title if t.unit else "", t.standard_code, t.calculation_method)
        for t in service.list_targets(course_id)
    ]


def count(model, course_id):
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.course_id == course_id)
    )


def sixty_rows(bad_row=None):
    lines = [
        f"I can do thing {i},Unit {i % 3},STD.{i},{'median' if i == bad_row else 'highest'}"
        for i in range(2, 62)
    ]
    return HEADER + "\n".join(lines) + "\n"


def test_upload_reports_progress_then_the_same_targets_as_the_synchronous_import(
    client, db_session, monkeypatch
):
    teacher = make_teacher()
    course_id = teacher.course_id
    sign_in(client, teacher)
    seen = []
    update = job_progress.update

    def spy(progress_id, **changes):
        seen.append((changes.get("state"), changes.get("done"), changes.get("total")))
        update(progress_id, **changes)

    monkeypatch.setattr(job.job_progress, "update", spy)

    answer = upload(client, course_id, sixty_rows())
    assert answer.status_code == 303
    page = client.get(answer.location).get_data(as_text=True)
    assert "Finished: Imported 60 of 60 rows. Added 60 targets in 3 new units." in page
    assert 'class="job-progress"' in page
    assert "progress.js" in page

    db.session.expire_all()
    progress = latest_import(course_id)
    body = client.get(f"/courses/{course_id}/teach/jobs/{progress.id}.json").get_json()
    assert (body["state"], body["done"], body["total"], body["percent"]) == ("done", 60, 60, 100)
    # Progress was committed as the rows were checked, before the targets were added.
    assert ("running", 25, 60) in seen
    assert ("running", 50, 60) in seen
    assert count(TargetImport, course_id) == 0  # the stored file is gone once done

    # The same rows as the synchronous import of the same file.
    other = make_course()
    service.import_csv(other.id, sixty_rows(), now=NOW)
    assert rows_of(course_id) == rows_of(other.id)
    assert len(rows_of(course_id)) == 60
    assert rows_of(course_id)[0] == ("I can do thing 2", "Unit 2", "STD.2", "highest")


def test_the_page_without_script_says_how_far_a_running_import_got(client, db_session):
    teacher = make_teacher()
    course_id = teacher.course_id
    sign_in(client, teacher)
    running = job_progress.start(course_id, job_progress.TARGET_IMPORT, now=NOW)
    job_progress.update(running.id, now=NOW, state="running", done=120, total=300)
    db.session.commit()
    page = client.get(f"/courses/{course_id}/teach/targets").get_data(as_text=True)
    assert "Checked 120 of 300 rows…" in page
    assert f"job={running.id}#import" in page  # the reload link keeps showing this import
    body = client.get(f"/courses/{course_id}/teach/jobs/{running.id}.json").get_json()
    assert (body["done"], body["total"], body["percent"], body["finished"]) == (120, 300, 40, False)


def test_a_bad_row_aborts_the_whole_import_with_its_reason_in_the_progress(client, db_session):
    teacher = make_teacher()
    course_id = teacher.course_id
    sign_in(client, teacher)
    refused = upload(client, course_id, "title,unit\nI can,\n")  # a bad file: said at once
    assert refused.status_code == 422
    assert "The first row must name the columns" in refused.get_data(as_text=True)
    assert count(JobProgress, course_id) == 0

    answer = upload(client, course_id, sixty_rows(bad_row=50))
    assert answer.status_code == 303
    page = client.get(answer.location).get_data(as_text=True)
    assert "Nothing was imported. Row 50:" in page

    db.session.expire_all()
    progress = latest_import(course_id)
    assert progress.state == "failed"
    assert progress.message.startswith("Nothing was imported. Row 50:")
    assert "median" in progress.message or "method" in progress.message.lower()
    assert (progress.done, progress.total) == (60, 60)  # every row was checked, then none kept
    assert count(LearningTarget, course_id) == 0
    assert count(Unit, course_id) == 0
    assert count(TargetImport, course_id) == 0  # not retried: the file must change


def test_the_worker_runs_an_import_whose_process_died(app, db_session):
    teacher = make_teacher()
    course_id = teacher.course_id
    never_started = target_imports.queue(teacher, HEADER + "I can A,U,,\n", now=NOW)
    left_running = target_imports.queue(teacher, HEADER + "I can B,U,,\n", now=NOW)
    target_imports.claim(left_running.id, now=NOW)  # then the process died
    db.session.commit()
    left_id = left_running.progress_id
    assert target_imports.due(NOW) == [never_started.id]  # the other one's lease still runs

    assert job.resume_target_imports(app) == 2
    db.session.expire_all()
    assert sorted(t.statement for t in service.list_targets(course_id)) == [
        "I can A",
        "I can B",
    ]
    assert db.session.get(JobProgress, left_id).state == "done"
    assert count(TargetImport, course_id) == 0
    assert job.resume_target_imports(app) == 0  # done once, never again


def test_students_get_403_and_another_courses_import_is_404(client, db_session):
    student = make_student()
    student_course = student.course_id
    sign_in(client, student)
    assert upload(client, student_course, HEADER + "I can,,,\n").status_code == 403

    teacher = make_teacher()
    elsewhere = make_teacher()
    own_course, other_course = teacher.course_id, elsewhere.course_id
    foreign = target_imports.queue(elsewhere, HEADER + "I can,,,\n", now=NOW).progress_id
    db.session.commit()
    sign_in(client, teacher)
    assert upload(client, other_course, HEADER + "I can,,,\n").status_code == 403
    assert client.get(f"/courses/{own_course}/teach/jobs/{foreign}.json").status_code == 404
    assert client.get(f"/courses/{own_course}/teach/targets?job={foreign}").status_code == 200
    assert count(JobProgress, student_course) == 0
    assert count(JobProgress, other_course) == 1  # only the one queued here
    assert count(LearningTarget, other_course) == 0
