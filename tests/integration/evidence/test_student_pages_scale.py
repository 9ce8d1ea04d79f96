"""The student's course home and target list: a constant number of statements however many
targets the course has, and the same levels, evidence counts and "what next" as one target's
own reckoning (services.reassessment.target_progress)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services import reassessment
from tests.support.builders import (
    make_assessment,
    make_evidence,
    make_mastery_record,
    make_reassessment_request,
    make_relearning_log,
    make_student,
    make_unit,
)
from tests.support.choice_builders import course, enrollment_of, launch, make_targets
from tests.support.queries import count_queries

CELL = r'<td[^>]*>(?:<span class="cell-label"[^>]*>[^<]*</span>)?'  # its name, shown on phones
ROW = re.compile(
    r'<th scope="row"[^>]*><a href="[^"]+/targets/(\d+)">[^<]+</a>.*?</th>\s*'
    rf"{CELL}(.*?)</td>\s*{CELL}(.*?)</td>\s*{CELL}(\d+)</td>",
    re.S,
)


def fill(course_id: int, student_id: str, targets: int) -> None:
    """Targets in two units with every kind of history on some of them, for one student."""
    row = course(course_id)
    student = enrollment_of(course_id, student_id)
    units = [make_unit(row, "Unit A", 0), make_unit(row, "Unit B", 1)]
    now = utcnow()
    for n, target in enumerate(make_targets(row, targets)):
        target.unit_id = units[n % 2].id if n % 3 else None
        if n % 4 == 0:
            continue  # nothing done yet
        for days in range(n % 3 + 1):
            make_evidence(student, target, f"work {days}", submitted_at=now - timedelta(days=days))
        last = now - timedelta(days=n % 5 + 1)
        make_assessment(student, target, float(n % 4), assessed_at=last - timedelta(days=3))
        make_assessment(student, target, float((n + 1) % 4), assessed_at=last)
        make_mastery_record(student, target, float((n + 1) % 4))
        if n % 4 == 1:
            make_relearning_log(student, target, "reflection", logged_at=last + timedelta(hours=1))
        if n % 4 == 2:
            make_relearning_log(student, target, "practice_activity", logged_at=last)
            make_reassessment_request(
                student, target, is_reassessment=True, status="assessed", requested_at=last
            )
        if n % 5 == 3:
            make_reassessment_request(student, target, requested_at=now)
    make_student(row)  # another student's rows are not this one's
    db.session.commit()


def test_home_target_list_and_queue_cost_the_same_statements_for_3_or_24_targets(
    app, platform, client, db_session
):
    teacher = app.test_client()
    small = launch(platform, client, "Learner", "student-1", context_id="small")
    big = launch(platform, client, "Learner", "student-1", context_id="big")
    for course_id in (small, big):
        launch(
            platform,
            teacher,
            "Instructor",
            "teacher-1",
            context_id=str(course(course_id).context_id),
        )
    fill(small, "student-1", 3)
    fill(big, "student-1", 24)  # 5 requests wait in the big course's queue, none in the small
    counts: dict[str, dict[int, int]] = {"home": {}, "targets": {}, "queue": {}}
    for course_id in (small, big):
        for page, browser, url in (
            ("home", client, f"/courses/{course_id}/learn/"),
            ("targets", client, f"/courses/{course_id}/learn/targets"),
            ("queue", teacher, f"/courses/{course_id}/teach/assess"),
        ):
            assert browser.get(url).status_code == 200  # warm-up (templates, scale)
            with count_queries() as statements:
                response = browser.get(url)
            assert response.status_code == 200
            counts[page][course_id] = len(statements)
    # Before: five to seven statements per target on both pages (evidence, assessments, the
    # last assessment, two request counts, relearning since, each unit), 146 for 24 targets.
    assert counts["home"][small] == counts["home"][big], counts
    assert counts["targets"][small] == counts["targets"][big], counts
    assert counts["queue"][small] == counts["queue"][big], counts  # before: one per request
    # The home: the enrollment with its course, the targets with my records, the running station
    # rotation, the platforms' version (frame-ancestors), and the test's own savepoint statements.
    assert counts["home"][big] <= 6, counts
    assert counts["targets"][big] <= 10, counts


def test_every_targets_progress_is_what_its_own_page_reckons(platform, client, db_session):
    course_id = launch(platform, client, "Learner", "student-1", context_id="c")
    fill(course_id, "student-1", 12)
    student = enrollment_of(course_id, "student-1")
    now = utcnow()
    progress = reassessment.student_progress(student, now=now)
    assert len(progress) == 12
    reasons = set()
    for item in progress:
        alone = reassessment.target_progress(student, item.target.id, now=now)
        assert [e.id for e in item.evidence] == [e.id for e in alone.evidence]
        assert [a.id for a in item.assessments] == [a.id for a in alone.assessments]
        assert item.record is alone.record
        assert item.decision == alone.decision
        assert item.needs_relearning == alone.needs_relearning
        reasons.add(item.decision.reason)
    # The targets cover refusals and permissions alike (pending, relearning, never assessed).
    assert len(reasons) >= 3, reasons
    page = client.get(f"/courses/{course_id}/learn/targets").get_data(as_text=True)
    rows = ROW.findall(page)
    assert [int(r[0]) for r in rows] == [item.target.id for item in progress]
    for (_, _, _, evidence_count), item in zip(rows, progress, strict=True):
        assert int(evidence_count) == len(item.evidence)


def test_the_course_home_runs_the_same_statement_objects_on_every_view(
    app, platform, client, db_session
):
    """Its reads are built once, not per view: SQLAlchemy keeps a statement's cache key on the
    statement object, so rebuilding the selects (and re-keying them) was most of the ORM's CPU
    in a course home view."""
    course_id = launch(platform, client, "Learner", "student-1")
    fill(course_id, "student-1", 3)
    views: list[dict[str, int]] = []

    def record(state: ORMExecuteState) -> None:
        views[-1][str(state.statement)] = id(state.statement)

    event.listen(Session, "do_orm_execute", record)
    try:
        for _ in range(2):
            views.append({})
            assert client.get(f"/courses/{course_id}/learn/").status_code == 200
    finally:
        event.remove(Session, "do_orm_execute", record)
    both = views[0].keys() & views[1].keys()
    read = {re.search(r"\bFROM (\w+)", sql).group(1) for sql in both}  # type: ignore[union-attr]
    # The enrollment (with its course), the levels, the rotations; and the page's frame-ancestors.
    assert {"enrollment", "learning_target", "station_rotation", "platform"} <= read, read
    assert {sql: views[1][sql] for sql in both} == {sql: views[0][sql] for sql in both}


def test_the_course_home_builds_its_urls_through_the_router_once(app, platform, client, db_session):
    """A view's ~30 links (menu, targets, stylesheets) were built by werkzeug's router on every
    view, about a tenth of its server time; they are the same strings each time. A URL session's
    links carry the session and are built on every render (test_url_building.py)."""
    from werkzeug.routing import MapAdapter

    course_id = launch(platform, client, "Learner", "student-1")
    fill(course_id, "student-1", 3)
    built: list[str] = []
    original = MapAdapter.build

    def counted(self: MapAdapter, endpoint: str, *args: object, **kwargs: object) -> str:
        built.append(endpoint)
        return original(self, endpoint, *args, **kwargs)  # type: ignore[arg-type]

    pages = []
    MapAdapter.build = counted  # type: ignore[method-assign]
    try:
        for _ in range(2):
            built.clear()
            pages.append(client.get(f"/courses/{course_id}/learn/").get_data(as_text=True))
    finally:
        MapAdapter.build = original  # type: ignore[method-assign]
    assert pages[0] == pages[1]
    assert f'href="/courses/{course_id}/learn/targets"' in pages[1]
    # Before: 20 on the second view as on the first (3 targets, 7 menu links, the areas, ...).
    assert built == [], built
