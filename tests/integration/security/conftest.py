"""Tenants for the security suite: courses on two platforms and two deployments, via real launches.

`tenants` launches a teacher and a student into four courses:
- `own`: platform A, deployment-1, course-1 (the actor's course);
- `other_course`: platform A, deployment-1, course-2;
- `other_deployment`: platform A, deployment-2, course-3;
- `other_platform`: platform B (a second emulator), course-1 with the same user ids.
Each course gets rows of every kind the builders make (unit, target, evidence, ...), so URL
parameters can be filled with ids of objects that belong to another tenant (`id_in_course`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Table, select
from werkzeug.routing import Rule

from lti_pl.extensions import db
from lti_pl.models.courses import Course, Enrollment, Person
from tests.support import builders
from tests.support.platform_emulator import LTI, PlatformEmulator

COURSE_IN_LOCATION = re.compile(r"/courses/(\d+)/")
MISSING_ID = 2**31 - 1

#: URL parameter -> table, where the name alone does not say it.
PARAM_TABLES = {
    "student_id": "enrollment",
    "enrollment_id": "enrollment",
    "observer_id": "enrollment",
    "member_id": "enrollment",
    "teacher_id": "enrollment",
    "request_id": "reassessment_request",
    "reassessment_id": "reassessment_request",
    "board_id": "choice_board",
    "log_id": "relearning_log",
    "path_id": "learning_path",
    "step_id": "path_step",
    "comment_id": "teacher_comment",
    "profile_id": "learning_profile",
    "record_id": "mastery_record",
    "entry_id": "grade_outbox_entry",
}


@dataclass
class Tenant:
    """One course with a teacher and a student, and the HTTP clients that launched them."""

    name: str
    course_id: int
    teacher_client: Any
    student_client: Any
    teacher_id: int = 0
    student_id: int = 0


def launch(
    platform: PlatformEmulator, client: Any, role: str, user_id: str, context_id: str, **claims: Any
) -> int:
    response = platform.launch(client, role=role, user_id=user_id, context_id=context_id, **claims)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = COURSE_IN_LOCATION.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def enrollment_of(course_id: int, subject: str) -> Enrollment:
    return db.session.scalars(
        select(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.course_id == course_id, Person.subject == subject)
    ).one()


def fill_course(tenant: Tenant) -> None:
    """A row of each kind the builders make from a course alone, plus evidence-area rows."""
    course = db.session.get(Course, tenant.course_id)
    student = db.session.get(Enrollment, tenant.student_id)
    for name in sorted(dir(builders)):
        builder = getattr(builders, name)
        if name.startswith("make_") and callable(builder) and _takes_only_a_course(builder):
            builder(course)  # builders added later by other areas are covered too
    target = builders.make_target(course, unit_id=builders.make_unit(course).id)
    builders.make_evidence(student, target)
    builders.make_assessment(student, target, 3.0)
    builders.make_reassessment_request(student, target)
    builders.make_relearning_log(student, target)
    builders.make_mastery_record(student, target, 3.0)


def _takes_only_a_course(builder: Any) -> bool:
    try:
        parameters = list(inspect.signature(builder).parameters.values())
    except (TypeError, ValueError):
        return False
    return (
        bool(parameters)
        and parameters[0].name == "course"
        and all(
            p.default is not inspect.Parameter.empty or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            for p in parameters[1:]
        )
    )


def methods_of(rule: Rule) -> list[str]:
    """The rule's methods but HEAD and OPTIONS, sorted."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def build_url(app: Flask, rule: Rule, values: dict[str, Any]) -> str:
    """The rule's path with `values` (ids need not exist: any int is built)."""
    with app.test_request_context(base_url="https://tool.test"):
        adapter = app.url_map.bind("tool.test", url_scheme="https")
        return adapter.build(rule.endpoint, values, method=methods_of(rule)[0])


def table_for(param: str) -> Table | None:
    """The table a `<int:..._id>` URL parameter points into, by name."""
    tables = db.metadata.tables
    name = PARAM_TABLES.get(param) or param.removesuffix("_id")
    if name in tables:
        return tables[name]
    matches = [t for key, t in tables.items() if key.endswith("_" + name)]
    return matches[0] if len(matches) == 1 else None


def id_in_course(param: str, course_id: int) -> int:
    """The id of a row of `param`'s table in the course, else an id that does not exist."""
    table = table_for(param)
    if table is None:
        return MISSING_ID
    query = None
    if "course_id" in table.c:
        query = select(table.c.id).where(table.c.course_id == course_id)
    elif "enrollment_id" in table.c:
        enrollments = db.metadata.tables["enrollment"]
        query = (
            select(table.c.id)
            .join(enrollments, enrollments.c.id == table.c.enrollment_id)
            .where(enrollments.c.course_id == course_id)
        )
    else:
        for fk in table.foreign_keys:
            parent = fk.column.table
            if "course_id" in parent.c:
                query = (
                    select(table.c.id)
                    .join(parent, parent.c.id == fk.parent)
                    .where(parent.c.course_id == course_id)
                )
                break
    if query is None:
        return MISSING_ID
    found = db.session.scalars(query.order_by(table.c.id).limit(1)).first()
    return MISSING_ID if found is None else int(found)


@pytest.fixture
def second_platform(
    app: Flask, db_session: Any, tool_jwks: dict[str, Any]
) -> Iterator[PlatformEmulator]:
    """Platform B: another emulator (own issuer and keys), registered with the tool."""
    from lti_pl.services.platforms import import_registrations

    emulator = PlatformEmulator(tool_jwks=lambda: tool_jwks, client_id="other-client").start()
    with app.app_context():
        import_registrations(emulator.registration())
        db_session.commit()
    app.extensions["lti_pl"].registrations.clear()
    yield emulator
    emulator.stop()


def new_client(app: Flask) -> Any:
    from tests.conftest import HttpsClient

    app.test_client_class = HttpsClient
    return app.test_client()


@pytest.fixture
def tenants(
    app: Flask, db_session: Any, platform: PlatformEmulator, second_platform: PlatformEmulator
) -> dict[str, Tenant]:
    """Four courses (see the module docstring), each with a launched teacher and student."""
    from lti_pl.services.platforms import import_registrations

    with app.app_context():
        import_registrations(platform.registration(["deployment-1", "deployment-2"]))
        db_session.commit()
    app.extensions["lti_pl"].registrations.clear()
    plans = {
        "own": (platform, "course-1", {}),
        "other_course": (platform, "course-2", {}),
        "other_deployment": (platform, "course-3", {LTI + "deployment_id": "deployment-2"}),
        "other_platform": (second_platform, "course-1", {}),
    }
    result: dict[str, Tenant] = {}
    for name, (emulator, context_id, claims) in plans.items():
        teacher, student = new_client(app), new_client(app)
        course_id = launch(emulator, teacher, "Instructor", "teacher-1", context_id, **claims)
        assert launch(emulator, student, "Learner", "student-1", context_id, **claims) == course_id
        tenant = Tenant(name, course_id, teacher, student)
        with app.app_context():
            tenant.teacher_id = enrollment_of(course_id, "teacher-1").id
            tenant.student_id = enrollment_of(course_id, "student-1").id
            fill_course(tenant)
        result[name] = tenant
    assert len({t.course_id for t in result.values()}) == 4
    return result
