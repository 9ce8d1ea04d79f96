"""Live progress of long work: the roster sync and a bulk resend of scores, as the page polls it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.grades import GradeOutboxEntry, OutboxStatus
from lti_pl.models.jobs import JobProgress
from lti_pl.services import grades, job_progress
from tests.support.grades import course_id_from, graded_course, queue_final_score, sender_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JSON = {"Accept": "application/json"}


def seed(platform, n=5, context="course-1"):
    platform.add_member(context, "teacher-1", "Instructor", name="Pat Teacher")
    for i in range(n):
        platform.add_member(context, f"s{i}", "Learner", name=f"Student {i}")


def latest_job(course_id, kind):
    return db.session.scalars(
        select(JobProgress)
        .where(JobProgress.course_id == course_id, JobProgress.kind == kind)
        .order_by(JobProgress.id.desc())
    ).first()


def test_sync_now_reports_its_progress_and_its_completion(client, platform):
    seed(platform, n=5)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))

    answer = client.post(f"/courses/{course_id}/teach/roster/sync")
    assert answer.status_code == 303
    assert "reload this page in a moment" not in client.get(answer.location).get_data(as_text=True)
    db.session.expire_all()
    job = latest_job(course_id, job_progress.ROSTER_SYNC)
    assert job is not None

    done = client.get(f"/courses/{course_id}/teach/jobs/{job.id}.json", headers=JSON)
    assert done.status_code == 200
    body = done.get_json()
    assert body["state"] == "done"
    assert body["finished"] is True
    assert body["done"] == body["total"] == 6  # the teacher and five students
    assert body["text"].startswith("Finished: Synced 6 of 6 people")
    assert body["percent"] == 100

    # Mid-way, as a slow sync of a big course writes it: the page and the endpoint say so.
    running = job_progress.start(course_id, job_progress.ROSTER_SYNC, now=NOW)
    job_progress.update(running.id, now=NOW, state="running", done=120, total=300)
    db.session.commit()
    body = client.get(f"/courses/{course_id}/teach/jobs/{running.id}.json").get_json()
    assert (body["done"], body["total"], body["percent"]) == (120, 300, 40)
    assert body["text"] == "Synced 120 of 300 people…"
    assert body["finished"] is False
    page = client.get(f"/courses/{course_id}/teach/roster").get_data(as_text=True)
    assert "Synced 120 of 300 people" in page
    assert f'data-progress-url="/courses/{course_id}/teach/jobs/{running.id}.json"' in page
    assert 'value="40"' in page  # the <progress> bar
    assert "Reload this page" in page  # without script, a way to see how far it got


def test_a_failed_sync_ends_its_progress_with_the_reason(client, platform):
    from tests.support.platform_emulator import Fault

    seed(platform, n=1)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    platform.faults["nrps"] = Fault(rate=1.0, kinds=("500",))
    client.post(f"/courses/{course_id}/teach/roster/sync")
    db.session.expire_all()
    job = latest_job(course_id, job_progress.ROSTER_SYNC)
    body = client.get(f"/courses/{course_id}/teach/jobs/{job.id}.json").get_json()
    assert body["state"] == "failed"
    assert body["message"]
    assert body["text"].startswith("Stopped after 0 people:")


def test_only_the_course_teachers_read_a_job(client, platform):
    seed(platform, n=1)
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    client.post(f"/courses/{course_id}/teach/roster/sync")
    db.session.expire_all()
    job_id = latest_job(course_id, job_progress.ROSTER_SYNC).id
    url = f"/courses/{course_id}/teach/jobs/{job_id}.json"
    assert client.get(url).status_code == 200

    platform.launch(client, role="Learner", user_id="s0")
    assert client.get(url).status_code == 403

    platform.new_course("course-2", "Chemistry")
    seed(platform, n=1, context="course-2")
    other = course_id_from(
        platform.launch(client, role="Instructor", user_id="teacher-1", context_id="course-2")
    )
    assert other != course_id
    assert client.get(url).status_code in (403, 404)  # not this teacher's course now
    assert client.get(f"/courses/{other}/teach/jobs/{job_id}.json").status_code == 404


def test_resending_failed_scores_shows_how_many_were_sent(app, client, platform):
    course = graded_course(client, platform, students=3)
    item = course.line_item()
    del platform.line_items[item.url]  # deleted in the LMS: every send fails
    for student in course.students:
        queue_final_score(course.course.id, item, student, 3.0, now=NOW)
    db.session.commit()
    grades.push_pending(sender_for(app), now=NOW)
    platform.put_line_item(item.url, "x", context_id=course.course.context_id)

    assert client.post(f"/courses/{course.course.id}/teach/grades/retry-all").status_code == 303
    db.session.expire_all()
    job_id = latest_job(course.course.id, job_progress.GRADE_PASSBACK).id
    course_id = course.course.id
    url = f"/courses/{course_id}/teach/jobs/{job_id}.json"
    body = client.get(url).get_json()
    assert (body["state"], body["done"], body["total"]) == ("running", 0, 3)
    page = client.get(f"/courses/{course_id}/teach/grades").get_data(as_text=True)
    assert "Sent 0 of 3 scores" in page

    grades.push_pending(sender_for(app), now=datetime.now(UTC))
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(select(GradeOutboxEntry))} == {OutboxStatus.SENT}
    body = client.get(url).get_json()
    assert (body["state"], body["done"], body["total"]) == ("done", 3, 3)
    assert body["text"] == "Finished: Sent 3 of 3 scores."
