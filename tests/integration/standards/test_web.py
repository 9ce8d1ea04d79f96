"""The teacher's standards pages: import in the browser, browse and pick, settings, programme."""

import io
import json
import re

from sqlalchemy import func, select

from lti_pl.extensions import db
from lti_pl.models.standards import StandardsFramework
from lti_pl.models.targets import LearningTarget
from lti_pl.services import standards, standards_import, standards_progress
from tests.support.builders import (
    T0,
    make_course,
    make_mastery_record,
    make_platform,
    make_student,
    make_target,
    make_teacher,
    sign_in,
)
from tests.support.case_provider import item_id, math_package

ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def _codes(page):
    return re.findall(r'<span class="code">([^<]*)</span>', page)


def _upload(client, course, data, name="math.json"):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        f"/courses/{course.id}/teach/standards/import",
        data={"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_teacher_imports_a_file_browses_and_creates_linked_targets(client):
    teacher = make_teacher()
    sign_in(client, teacher)
    course = teacher.course
    answer = _upload(client, course, math_package())
    assert answer.status_code == 303
    framework = db.session.scalar(select(StandardsFramework))
    assert answer.headers["Location"].endswith(f"/teach/standards/{framework.id}")
    page = client.get(f"/courses/{course.id}/teach/standards/{framework.id}").get_data(True)
    assert "5.NF.A.1" in page
    assert "unlike denominators" in page
    assert page.index("5.NF.A.1") < page.index("5.NF.A.2") < page.index("6.EE")
    items = {i.code: i for i in framework.items}
    picked = [items["5.NF.A.1"].id, items["6.EE.A.1"].id]
    answer = client.post(
        f"/courses/{course.id}/teach/standards/{framework.id}/targets",
        data={"item": [str(i) for i in picked], "unit": "Fractions"},
    )
    assert answer.status_code == 303
    targets = db.session.scalars(
        select(LearningTarget).where(LearningTarget.course_id == course.id)
    ).all()
    assert sorted((t.standard_code, t.case_guid) for t in targets) == [
        ("5.NF.A.1", item_id("nf.a.1")),
        ("6.EE.A.1", item_id("ee.a.1")),
    ]
    assert all(t.unit.title == "Fractions" for t in targets)
    # The browse screen now shows them as targets, and picking them again adds nothing.
    page = client.get(f"/courses/{course.id}/teach/standards/{framework.id}").get_data(True)
    assert page.count("Target in this course") == 2
    again = client.post(
        f"/courses/{course.id}/teach/standards/{framework.id}/targets",
        data={"item": [str(picked[0])]},
        follow_redirects=True,
    )
    assert "already were targets" in again.get_data(True)
    assert db.session.scalar(select(func.count(LearningTarget.id))) == 2


def test_search_and_grade_filter(client):
    teacher = make_teacher()
    sign_in(client, teacher)
    (result,) = standards_import.import_data(
        teacher.course.platform.issuer, math_package(), source="t", now=T0
    )
    db.session.commit()
    base = f"/courses/{teacher.course_id}/teach/standards/{result.framework.id}"
    page = client.get(base, query_string={"q": "denominators"}).get_data(True)
    assert _codes(page) == ["5.NF", "5.NF.A", "5.NF.A.1"]  # the match and its groups
    assert "1 matching standard" in page
    page = client.get(base, query_string={"grade": "KG"}).get_data(True)
    assert _codes(page) == ["K.G", "K.G.A.1"]
    page = client.get(base, query_string={"q": "6.ee.a.1"}).get_data(True)
    assert _codes(page) == ["6.EE", "6.EE.A.1"]
    page = client.get(base, query_string={"q": "zebra"}).get_data(True)
    assert "No standard matches" in page


def test_malformed_upload_and_unreachable_provider_are_422_with_a_reason(client, case_provider):
    teacher = make_teacher()
    sign_in(client, teacher)
    answer = _upload(client, teacher.course, b"{not json")
    assert answer.status_code == 422
    assert "not valid JSON" in answer.get_data(True)
    bad = math_package()
    bad["CFItems"][1]["identifier"] = "nope"
    answer = _upload(client, teacher.course, bad)
    assert answer.status_code == 422
    assert "CFItems[1]: identifier must be a UUID" in answer.get_data(True)
    case_provider.stop()
    answer = client.post(
        f"/courses/{teacher.course_id}/teach/standards/import",
        data={"url": f"{case_provider.base_url}/CFDocuments"},
    )
    assert answer.status_code == 422
    assert "Could not reach the CASE provider" in answer.get_data(True)
    assert db.session.scalar(select(func.count(StandardsFramework.id))) == 0


def test_import_from_provider_in_the_browser(client, case_provider):
    teacher = make_teacher()
    sign_in(client, teacher)
    answer = client.post(
        f"/courses/{teacher.course_id}/teach/standards/import",
        data={"url": f"{case_provider.base_url}/CFDocuments"},
    )
    assert answer.status_code == 303
    assert [f.title for f in standards.list_frameworks(teacher.course.platform.issuer)] == [
        "Test Mathematics Standards"
    ]


def test_frameworks_of_another_platform_are_not_found(client):
    teacher = make_teacher()
    other = make_platform()
    (result,) = standards_import.import_data(other.issuer, math_package(), source="t", now=T0)
    db.session.commit()
    sign_in(client, teacher)
    base = f"/courses/{teacher.course_id}/teach/standards/{result.framework.id}"
    assert client.get(base).status_code == 404
    item = result.framework.items[0].id
    assert client.post(f"{base}/targets", data={"item": [str(item)]}).status_code == 404


def test_frameworks_are_shared_by_courses_of_the_same_platform(client):
    lms = make_platform()
    first, second = make_teacher(make_course(lms)), make_teacher(make_course(lms))
    sign_in(client, first)
    _upload(client, first.course, math_package())
    sign_in(client, second)
    page = client.get(f"/courses/{second.course_id}/teach/standards").get_data(True)
    assert "Test Mathematics Standards" in page


def test_students_cannot_open_standards_pages(client):
    student = make_student()
    sign_in(client, student)
    assert client.get(f"/courses/{student.course_id}/teach/standards").status_code == 403


def test_only_an_lti_administrator_changes_platform_settings(client):
    lms = make_platform()
    teacher = make_teacher(make_course(lms))
    admin = make_teacher(make_course(lms), lti_roles=[ADMIN])
    sign_in(client, teacher)
    url = f"/courses/{teacher.course_id}/teach/standards/platform"
    assert "Ask your LMS administrator" in client.get(url).get_data(True)
    assert client.post(url, data={"share_prior_levels": "1"}).status_code == 403
    assert not standards_progress.settings_for(lms.issuer).share_prior_levels
    sign_in(client, admin)
    url = f"/courses/{admin.course_id}/teach/standards/platform"
    assert client.post(url, data={"programme_roles": "bad role!"}).status_code == 422
    answer = client.post(url, data={"share_prior_levels": "1", "programme_roles": "DepartmentHead"})
    assert answer.status_code == 303
    saved = standards_progress.settings_for(lms.issuer)
    assert saved.share_prior_levels
    assert saved.programme_roles == ["DepartmentHead"]


def test_programme_view_for_administrators_and_configured_roles_with_csv(client):
    lms = make_platform()
    course_a, course_b = make_course(lms, title="Math 5"), make_course(lms, title="Math 6")
    admin = make_teacher(course_a, lti_roles=[ADMIN])
    head = make_teacher(
        course_a, lti_roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#DepartmentHead"]
    )
    teacher = make_teacher(course_a)
    guid = item_id("nf.a.1")
    standards_import.import_data(lms.issuer, math_package(), source="t", now=T0)
    ta, tb = make_target(course_a, case_guid=guid), make_target(course_b, case_guid=guid)
    alice = make_student(course_a)
    make_student(course_b, person=alice.person)
    make_mastery_record(alice, ta, 2.0)
    bob = make_student(course_b)
    make_mastery_record(bob, tb, 4.0, label="=cmd", color="#00aa00")
    base = f"/courses/{course_a.id}/teach/standards/programme"
    sign_in(client, teacher)
    assert client.get(base).status_code == 403
    sign_in(client, head)
    assert client.get(base).status_code == 403  # not configured yet
    standards.save_settings(
        admin, share_prior_levels=False, programme_roles="DepartmentHead", now=T0
    )
    db.session.commit()
    page = client.get(base).get_data(True)
    assert "5.NF.A.1" in page
    assert alice.person.display_name in page
    assert bob.person.display_name in page
    sign_in(client, admin)
    csv_text = client.get(base + ".csv").get_data(True)
    lines = csv_text.strip().splitlines()
    assert lines[0] == "student,5.NF.A.1"
    assert any(
        line.startswith(bob.person.display_name) and "'=cmd (Math 6" in line for line in lines
    )
