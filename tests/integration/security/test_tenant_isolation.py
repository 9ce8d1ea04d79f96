"""Tenant isolation, generated from the URL map: every course URL refuses other tenants' ids.

For every rule under /courses/<int:course_id>/ (teacher, student and observer areas; new views
are covered as soon as they are registered):
- a teacher/student of course A asking with the course id of another course, another deployment
  or another platform (and that tenant's object ids) is refused with 403/404;
- asking in its own course with ids of objects from another tenant is refused with 403/404
  (POSTs may also answer 422 for a form they cannot parse, but never change the other tenant);
- a student asking for any teacher URL of its own course gets 403.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from lti_pl.extensions import db
from tests.integration.security.conftest import Tenant, build_url, id_in_course, methods_of

COURSE_PREFIX = "/courses/<int:course_id>/"
OTHER_TENANTS = ("other_course", "other_deployment", "other_platform")
REFUSED = {403, 404}


def course_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(COURSE_PREFIX)]
    assert rules, "no course URLs registered"
    return sorted(rules, key=lambda r: r.rule)


def is_teacher_rule(rule: Rule) -> bool:
    return rule.endpoint.startswith("instructor.")


def url_for_rule(app: Flask, rule: Rule, course_id: int, ids_from: int) -> str:
    """The rule's URL with course_id, and every other int parameter from course `ids_from`."""
    values: dict[str, Any] = {"course_id": course_id}
    for name, converter in rule._converters.items():
        if name == "course_id":
            continue
        if isinstance(converter, NumberConverter):  # the app's row-id converter is one too
            values[name] = id_in_course(name, ids_from)
        else:
            values[name] = "x"
    return build_url(app, rule, values)


def request(client: Any, method: str, url: str) -> Any:
    return client.open(url, method=method, data={} if method != "GET" else None)


def actor_client(tenant: Tenant, rule: Rule) -> Any:
    return tenant.teacher_client if is_teacher_rule(rule) else tenant.student_client


def row_counts() -> dict[str, int]:
    return {
        name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in db.metadata.tables.items()
        if name not in {"used_nonce"}
    }


def test_course_urls_refuse_the_course_of_another_tenant(app, tenants):
    own = tenants["own"]
    failures = []
    for rule in course_rules(app):
        for other in OTHER_TENANTS:
            url = url_for_rule(app, rule, tenants[other].course_id, tenants[other].course_id)
            for method in methods_of(rule):
                status = request(actor_client(own, rule), method, url).status_code
                if status not in REFUSED:
                    failures.append(f"{method} {url} ({rule.endpoint}, {other}) -> {status}")
    assert failures == []


def test_course_urls_refuse_object_ids_of_another_tenant(app, tenants):
    own = tenants["own"]
    failures = []
    for rule in course_rules(app):
        if set(rule.arguments) == {"course_id"}:
            continue  # nothing but the course in the URL: covered by the test above
        for other in OTHER_TENANTS:
            url = url_for_rule(app, rule, own.course_id, tenants[other].course_id)
            for method in methods_of(rule):
                before = row_counts()
                status = request(actor_client(own, rule), method, url).status_code
                allowed = REFUSED if method == "GET" else REFUSED | {422}
                if status not in allowed or row_counts() != before:
                    failures.append(f"{method} {url} ({rule.endpoint}, {other}) -> {status}")
    assert failures == []


def test_students_get_403_on_every_teacher_url(app, tenants):
    own = tenants["own"]
    failures = []
    for rule in course_rules(app):
        if not is_teacher_rule(rule):
            continue
        url = url_for_rule(app, rule, own.course_id, own.course_id)
        for method in methods_of(rule):
            status = request(own.student_client, method, url).status_code
            if status != 403:
                failures.append(f"{method} {url} ({rule.endpoint}) -> {status}")
    assert failures == []


def test_the_actor_reaches_its_own_course_home(app, tenants):
    # The refusals above mean something only if the same clients are let in at home.
    own = tenants["own"]
    assert own.teacher_client.get(f"/courses/{own.course_id}/teach/").status_code == 200
    assert own.student_client.get(f"/courses/{own.course_id}/learn/").status_code == 200
