"""Readiness: BKT fitted per standard from every course, shown in the queue and to the student."""

import random
import re
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.jobs.grade_delivery import worker_cycle
from lti_pl.jobs.readiness_refit import LOCK_PREFIX, refit_readiness
from lti_pl.models.standards import ReadinessFit
from lti_pl.services import readiness, standards
from tests.support.builders import (
    T0,
    make_assessment,
    make_course,
    make_evidence,
    make_mastery_record,
    make_platform,
    make_reassessment_request,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.case_provider import item_id
from tests.support.queries import count_queries

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def _class(course, target, histories):
    """Students with the given score histories on the target (scores on the 0–4 scale)."""
    students = []
    for scores in histories:
        student = make_student(course)
        for day, score in enumerate(scores):
            make_assessment(student, target, score, T0 + timedelta(days=day))
        students.append(student)
    return students


def _cohort(seed=1, n=30):
    rng = random.Random(seed)
    histories = []
    for _ in range(n):
        knows, scores = rng.random() < 0.3, []
        for _ in range(5):
            correct = rng.random() < (0.9 if knows else 0.2)
            scores.append(rng.choice((3.0, 4.0)) if correct else rng.choice((1.0, 2.0)))
            knows = knows or rng.random() < 0.2
        histories.append(scores)
    return histories


def test_refit_stores_fitted_parameters_per_standard_from_every_course(app, db_session):
    lms = make_platform()
    guid = item_id("nf.a.1")
    a, b = make_course(lms), make_course(lms)
    ta, tb = make_target(a, case_guid=guid), make_target(b, case_guid=guid)
    histories = _cohort()
    _class(a, ta, histories[:15])
    _class(b, tb, histories[15:])
    few = make_target(a)
    _class(a, few, [[1.0, 3.0]])
    fits = {f.standard_key: f for f in readiness.refit(lms.issuer, now=T0)}
    assert set(fits) == {guid, f"target:{few.id}"}
    pooled = fits[guid]
    assert pooled.students == 30  # both courses
    assert pooled.observations == 150
    assert pooled.note.startswith("fitted by EM")
    assert pooled.guess < 0.5
    assert pooled.slip < 0.5
    assert (pooled.prior, pooled.learn) != (readiness.DEFAULTS.prior, readiness.DEFAULTS.learn)
    assert fits[f"target:{few.id}"].note.startswith("defaults")
    # Refitting updates the same rows.
    readiness.refit(lms.issuer, now=T0 + timedelta(hours=1))
    assert db.session.scalars(select(ReadinessFit)).all().__len__() == 2


def test_refit_if_due_is_throttled_and_needs_new_evidence(app, db_session):
    lms = make_platform()
    course = make_course(lms)
    target = make_target(course)
    (student,) = _class(course, target, [[1.0]])
    assert readiness.refit_if_due(lms.issuer, now=T0 + timedelta(days=1))
    assert not readiness.refit_if_due(lms.issuer, now=T0 + timedelta(days=1, minutes=1))
    assert not readiness.refit_if_due(lms.issuer, now=T0 + timedelta(days=2))  # nothing new
    make_assessment(student, target, 3.0, T0 + timedelta(days=2, hours=1))
    assert readiness.refit_if_due(lms.issuer, now=T0 + timedelta(days=3))


def test_a_platform_without_assessments_is_never_due(app, db_session):
    course = make_course()
    make_target(course)
    assert not readiness.is_refit_due(course.platform.issuer, now=T0)
    assert refit_readiness(app) == 0


def test_queue_lists_students_likely_ready_with_probability_and_reason(client):
    course = make_course()
    target = make_target(course, "I can add fractions")
    histories = _cohort(seed=2)
    students = _class(course, target, histories)
    ready = make_student(course)
    for day, score in enumerate([2.0, 3.0, 4.0, 3.0]):
        make_assessment(ready, target, score, T0 + timedelta(days=day))
    struggling = make_student(course)
    for day, score in enumerate([1.0, 1.0, 2.0, 1.0]):
        make_assessment(struggling, target, score, T0 + timedelta(days=day))
    mastered = students[0]
    make_mastery_record(mastered, target, 4.0)
    readiness.refit(course.platform.issuer, now=T0)
    db.session.commit()
    teacher = make_teacher(course)
    sign_in(client, teacher)
    page = client.get(f"/courses/{course.id}/teach/assess").get_data(True)
    section = page[page.index("Likely ready to show mastery") :]
    found = readiness.course_readiness(course)
    likely = [r for r in found if r.is_ready]
    # The queue shows the most likely few, in order; the readiness page has everyone.
    shown = likely[: readiness.READY_IN_QUEUE]
    names = [r.enrollment.person.display_name for r in shown]
    assert re.findall(r'<th scope="row" role="rowheader">([^<]+)</th>', section) == names
    assert struggling.person.display_name not in section
    assert "of the last" in section
    rows = {r.enrollment.id: r for r in found}
    assert rows[ready.id].probability >= readiness.READY_PROBABILITY
    assert rows[struggling.id].probability < readiness.READY_PROBABILITY
    assert mastered.id not in rows  # already mastered: nothing to predict
    own = client.get(f"/courses/{course.id}/teach/standards/readiness?student={ready.id}")
    text = own.get_data(True)
    assert ready.person.display_name in text
    assert "of the last 4 assessments reached mastery" in text
    assert f"{round(rows[ready.id].probability * 100)}%" in text


def test_queue_readiness_uses_a_fixed_number_of_queries(client):
    course = make_course()
    targets = [make_target(course) for _ in range(3)]
    for target in targets:
        _class(course, target, _cohort(seed=3, n=5))
    teacher = make_teacher(course)
    sign_in(client, teacher)

    def count(_students):
        with count_queries() as statements:
            readiness.course_readiness(course)
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    small = count(15)
    for target in targets:
        _class(course, target, _cohort(seed=4, n=10))
    assert count(45) == small


def test_earlier_courses_count_for_a_student_only_when_shared(app, db_session):
    lms = make_platform()
    guid = item_id("nf.a.1")
    fall, spring = make_course(lms), make_course(lms)
    tf, ts = make_target(fall, case_guid=guid), make_target(spring, case_guid=guid)
    student = make_student(fall)
    for day, score in enumerate([3.0, 4.0, 3.0]):
        make_assessment(student, tf, score, T0 + timedelta(days=day))
    again = make_student(spring, person=student.person)
    make_assessment(again, ts, 2.0, T0 + timedelta(days=30))
    (alone,) = readiness.course_readiness(spring)
    assert "earlier course" not in alone.reason
    admin = make_teacher(spring, lti_roles=[ADMIN])
    standards.save_settings(admin, share_prior_levels=True, programme_roles="", now=T0)
    (shared,) = readiness.course_readiness(spring)
    assert "Includes 3 from an earlier course" in shared.reason
    assert shared.probability > alone.probability


def test_student_sees_you_look_ready_on_their_target_page(client):
    course = make_course()
    target = make_target(course)
    likely = make_student(course)
    for day, score in enumerate([2.0, 3.0, 4.0, 3.0]):
        make_assessment(likely, target, score, T0 + timedelta(days=day))
    unlikely = make_student(course)
    make_assessment(unlikely, target, 1.0, T0)
    sign_in(client, likely)
    page = client.get(f"/courses/{course.id}/learn/targets/{target.id}").get_data(True)
    assert "You look ready!" in page
    sign_in(client, unlikely)
    page = client.get(f"/courses/{course.id}/learn/targets/{target.id}").get_data(True)
    assert "You look ready!" not in page


def test_a_saved_score_is_refitted_by_the_worker_not_in_the_web_request(app, client):
    """The fit takes seconds of CPU for a term: a web process no longer runs it after a save."""
    course = make_course()
    target = make_target(course)
    student = make_student(course)
    evidence = make_evidence(student, target)
    request_row = make_reassessment_request(student, target)
    teacher = make_teacher(course)
    sign_in(client, teacher)
    target_id, issuer = target.id, course.platform.issuer
    answer = client.post(
        f"/courses/{course.id}/teach/assess/{request_row.id}",
        data={"score": "3", "evidence_id": str(evidence.id)},
    )
    assert answer.status_code == 303
    assert db.session.scalars(select(ReadinessFit)).all() == []  # not in the request

    assert worker_cycle(app).attempted == 0  # nothing to send: a hint-only course
    (fit,) = db.session.scalars(select(ReadinessFit)).all()
    assert fit.standard_key == f"target:{target_id}"
    assert fit.observations == 1
    app.extensions["lti_pl"].store.delete(LOCK_PREFIX + issuer)
    assert refit_readiness(app) == 0  # not due: fitted moments ago, nothing new since


def test_two_workers_do_not_fit_the_same_platform_at_once(app, db_session):
    course = make_course()
    target = make_target(course)
    _class(course, target, [[1.0, 3.0]])
    db.session.commit()
    issuer = course.platform.issuer
    store = app.extensions["lti_pl"].store
    assert store.add(LOCK_PREFIX + issuer, 1, 60)  # another worker holds it
    assert refit_readiness(app) == 0
    assert db.session.scalars(select(ReadinessFit)).all() == []
    store.delete(LOCK_PREFIX + issuer)
    assert refit_readiness(app) == 1
    assert len(db.session.scalars(select(ReadinessFit)).all()) == 1


def test_outside_tests_the_fit_runs_beside_the_worker_cycle_one_at_a_time(
    app, db_session, monkeypatch
):
    """A district's fit takes minutes: the cycle that starts it must go on sending scores."""
    import lti_pl.jobs.readiness_refit as job

    course = make_course()
    target = make_target(course)
    _class(course, target, [[1.0, 3.0]])
    db.session.commit()
    issuer = course.platform.issuer
    fitting, finish, fitted = threading.Event(), threading.Event(), []

    def slow_fit(_app, issuers):  # stands in for EM over a district (no database in the thread)
        fitting.set()
        finish.wait(10)
        fitted.extend(issuers)

    monkeypatch.setattr(job, "_fit", slow_fit)
    monkeypatch.setitem(app.config, "TESTING", False)

    assert refit_readiness(app) == 1  # started, and the cycle goes on at once
    assert fitting.wait(5)
    app.extensions["lti_pl"].store.delete(LOCK_PREFIX + issuer)
    assert refit_readiness(app) == 0  # still due, but this process is fitting already
    finish.set()
    for _ in range(100):
        if job._fitting.acquire(blocking=False):
            job._fitting.release()
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the fitting thread did not end")
    assert fitted == [issuer]


def test_cli_refit_fits_every_platform(runner):
    course = make_course()
    target = make_target(course)
    _class(course, target, [[1.0, 3.0]])
    result = runner.invoke(args=["standards", "refit"])
    assert result.exit_code == 0, result.output
    assert f"{course.platform.issuer}: 1 standards fitted" in result.output
    assert len(db.session.scalars(select(ReadinessFit)).all()) == 1
