"""Deep linking: the picker, the signed response as the emulator receives it, linked launches."""

from __future__ import annotations

import re
from html import unescape

import pytest
import requests
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.models.grades import LineItem
from lti_pl.models.targets import LearningTarget
from tests.support.grades import course_id_from

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles

DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def dl_launch(client, platform, **settings):
    claims = {}
    if settings:
        base = {
            "deep_link_return_url": f"{platform.url}/deep_link_return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "data": "opaque-data-123",
        }
        base.update(settings)
        claims[DL_CLAIM] = {k: v for k, v in base.items() if v is not None}
    response = platform.launch(
        client,
        role="Instructor",
        user_id="teacher-1",
        message_type="LtiDeepLinkingRequest",
        **claims,
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "/teach/deep-link" in response.headers["Location"]
    return course_id_from(response)


def add_targets(course_id, *statements, archived=()):
    targets = []
    for position, statement in enumerate(statements):
        target = LearningTarget(
            course_id=course_id, statement=statement, position=len(statements) - position
        )
        if statement in archived:
            target.archived_at = utcnow()
        db.session.add(target)
        targets.append(target)
    db.session.commit()
    return targets


def send_to_platform(page_html):
    """Play the browser's auto-submit: POST the JWT to the form's action."""
    action = unescape(
        re.search(r'<form id="deep-link-return" method="post" action="([^"]+)"', page_html).group(1)
    )
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', page_html).group(1))
    assert "auto_submit.js" in page_html
    return requests.post(action, data={"JWT": token}, timeout=5)


def test_picker_lists_active_targets_in_position_order(client, platform):
    course_id = dl_launch(client, platform)
    add_targets(
        course_id, "I can add", "I can subtract", "I can divide", archived=("I can subtract",)
    )
    page = client.get(f"/courses/{course_id}/teach/deep-link")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "I can subtract" not in text
    assert text.index("I can divide") < text.index("I can add")  # position 1 before 3


def test_aggregate_link_arrives_signed_with_line_item_and_data_echo(client, platform):
    course_id = dl_launch(client, platform)
    first, second = add_targets(course_id, "I can add", "I can subtract")
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={
            "kind": "targets",
            "target_ids": [first.id, second.id],
            "mode": "aggregate",
            "title": "Unit 1 mastery",
            "points": "50",
        },
    )
    assert page.status_code == 200

    answer = send_to_platform(page.get_data(as_text=True))

    assert answer.status_code == 200
    received = platform.deep_link_returns[-1]
    assert received["ok"]
    claims = received["claims"]
    assert claims[DATA] == "opaque-data-123"
    (item,) = claims[ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Unit 1 mastery"
    assert item["url"] == "https://tool.test/lti/launch"
    assert item["custom"] == {"lti_pl_targets": f"{second.id},{first.id}"}  # by position
    assert item["lineItem"] == {
        "scoreMaximum": 50.0,
        "label": "Unit 1 mastery",
        "resourceId": "aggregate",
        "tag": "aggregate",
    }
    assert "I can add" in item["text"]


RANGE_REFUSAL = (422, "Points must be between 0 and 10,000.")
# Unparseable points were read as 0.0 and refused as out of range; now a clear 400.
NOT_A_NUMBER = (400, "Points must be a number, for example 100.")


@pytest.mark.parametrize(
    ("points", "refusal"),
    [
        # "nan" passed `points <= 0 or points > 10_000` and was signed into the line item as NaN.
        *((p, RANGE_REFUSAL) for p in ("nan", "inf", "-1", "10001")),
        *((p, NOT_A_NUMBER) for p in ("abc", "1,5", "12 points")),
    ],
)
def test_aggregate_points_off_the_range_or_not_a_number_are_refused(
    client, platform, points, refusal
):
    course_id = dl_launch(client, platform)
    (target,) = add_targets(course_id, "I can add")
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [target.id], "mode": "aggregate", "points": points},
    )
    assert page.status_code == refusal[0]
    assert refusal[1] in page.get_data(as_text=True)


def test_per_target_links_one_item_per_target_with_tags(client, platform):
    course_id = dl_launch(client, platform)
    first, second = add_targets(course_id, "I can add", "I can subtract")
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [first.id, second.id], "mode": "target"},
    )
    send_to_platform(page.get_data(as_text=True))

    items = platform.deep_link_returns[-1]["claims"][ITEMS]
    assert [i["custom"] for i in items] == [
        {"lti_pl_target": str(second.id)},
        {"lti_pl_target": str(first.id)},
    ]
    assert [i["lineItem"]["tag"] for i in items] == [f"target-{second.id}", f"target-{first.id}"]
    assert [i["lineItem"]["resourceId"] for i in items] == [str(second.id), str(first.id)]


def test_single_item_placement_refuses_several_and_omits_line_items_when_not_accepted(
    client, platform
):
    course_id = dl_launch(client, platform, accept_multiple=False, accept_lineitem=False, data=None)
    first, second = add_targets(course_id, "I can add", "I can subtract")
    refused = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [first.id, second.id], "mode": "target"},
    )
    assert refused.status_code == 422
    assert "one item only" in refused.get_data(as_text=True)

    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [first.id], "mode": "aggregate", "points": "100"},
    )
    send_to_platform(page.get_data(as_text=True))
    claims = platform.deep_link_returns[-1]["claims"]
    assert "lineItem" not in claims[ITEMS][0]
    assert DATA not in claims  # no data in the request: none echoed


def test_titled_activity_and_a_foreign_target_is_refused(client, platform):
    course_id = dl_launch(client, platform)
    empty = client.post(
        f"/courses/{course_id}/teach/deep-link", data={"kind": "activity", "activity_title": " "}
    )
    assert empty.status_code == 422
    foreign = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": ["999999"], "mode": "aggregate"},
    )
    assert foreign.status_code == 422
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "activity", "activity_title": "Lab day", "activity_text": "Bring goggles"},
    )
    send_to_platform(page.get_data(as_text=True))
    (item,) = platform.deep_link_returns[-1]["claims"][ITEMS]
    assert (item["title"], item["text"]) == ("Lab day", "Bring goggles")
    assert "lineItem" not in item


def test_learner_deep_linking_request_is_refused(client, platform):
    response = platform.launch(
        client, role="Learner", user_id="student-1", message_type="LtiDeepLinkingRequest"
    )
    assert response.status_code in (400, 403)
    assert client.get("/courses/1/teach/deep-link").status_code == 403


def test_picker_without_pending_request_is_refused(client, platform):
    response = platform.launch(client, role="Instructor", user_id="teacher-1")
    course_id = course_id_from(response)
    assert client.get(f"/courses/{course_id}/teach/deep-link").status_code == 403


@pytest.mark.parametrize(
    ("custom", "mode"),
    [
        pytest.param("target", "target", id="per-target"),
        pytest.param("targets", "aggregate", id="aggregate"),
    ],
)
def test_launch_of_linked_resource_records_line_item(client, platform, custom, mode):
    course_id = course_id_from(platform.launch(client, role="Instructor", user_id="teacher-1"))
    first, second = add_targets(course_id, "I can add", "I can subtract")
    params = (
        {"lti_pl_target": str(first.id)}
        if custom == "target"
        else {"lti_pl_targets": f"{first.id},{second.id}"}
    )
    line_item_url = f"{platform.url}/ags/course-1/lineitems/abc"
    ags = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": f"{platform.url}/ags/course-1/lineitems",
        "lineitem": line_item_url,
    }
    response = platform.launch(
        client,
        role="Learner",
        user_id="student-1",
        custom=params,
        resource_link_id="rl-9",
        **{AGS: ags},
    )
    assert response.status_code == 303

    item = db.session.scalars(select(LineItem).where(LineItem.course_id == course_id)).one()
    assert item.url == line_item_url
    assert item.passback_mode == mode
    assert item.resource_link_id == "rl-9"
    if mode == "target":
        assert item.target_id == first.id
        assert item.tag == f"target-{first.id}"
    else:
        assert sorted(item.target_ids) == sorted([first.id, second.id])


@pytest.mark.platform_profiles("moodle")
def test_moodle_request_without_accept_lineitem_gets_the_line_item_and_a_graded_activity(
    client, platform
):
    # Moodle 4.5 sends no accept_lineitem: "no assumption", so the line item goes in and Moodle
    # makes it the activity's own grade item (the old code left it out).
    course_id = dl_launch(client, platform)
    picker = client.get(f"/courses/{course_id}/teach/deep-link").get_data(as_text=True)
    assert "creates no gradebook column" not in picker
    (target,) = add_targets(course_id, "I can add")
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [target.id], "mode": "aggregate", "points": "4"},
    )
    assert send_to_platform(page.get_data(as_text=True)).status_code == 200
    (item,) = platform.deep_link_returns[-1]["claims"][ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 4.0
    (placed,) = platform.placed_links
    assert (
        platform.line_items[placed["line_item_url"]]["resourceLinkId"]
        == (placed["resource_link_id"])
    )


@pytest.mark.platform_profiles("moodle")
def test_picker_in_a_new_course_leads_to_a_new_target_and_back(client, platform):
    course_id = dl_launch(client, platform)
    picker = client.get(f"/courses/{course_id}/teach/deep-link").get_data(as_text=True)
    assert "no learning targets yet" in picker
    link = unescape(re.search(r'id="picker-new-target" href="([^"]+)"', picker).group(1))
    form = client.get(link)
    assert form.status_code == 200
    assert 'name="next" value="deep-link"' in form.get_data(as_text=True)
    created = client.post(
        f"/courses/{course_id}/teach/targets",
        data={"statement": "I can add fractions", "calculation_method": "", "next": "deep-link"},
    )
    assert created.status_code == 303
    assert created.headers["Location"].endswith(f"/courses/{course_id}/teach/deep-link")
    again = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "I can add fractions" in again
    assert 'name="target_ids"' in again


@pytest.mark.platform_profiles("moodle", "canvas")
def test_new_deep_linked_column_gets_earned_grades_without_a_launch(
    app, client, platform, monkeypatch
):
    from datetime import UTC, datetime

    from lti_pl.jobs import column_backfill
    from lti_pl.models.evidence import MasteryRecord
    from lti_pl.services import grades
    from tests.support.grades import sender_for

    app.config["LTI_PL_COLUMN_BACKFILL"] = True
    started = []
    real_start = column_backfill.start
    monkeypatch.setattr(column_backfill, "DELAYS", (0.3,) * 10)
    monkeypatch.setattr(
        column_backfill, "start", lambda *a: started.append(real_start(*a)) or started[-1]
    )
    platform.add_member("course-1", "student-1", "Learner")
    course_id = dl_launch(client, platform)
    (target,) = add_targets(course_id, "I can add")
    student = app.test_client()
    platform.launch(student, role="Learner", user_id="student-1", resource_link_id="home")
    from lti_pl.models.courses import Enrollment, Person

    enrollment = db.session.scalars(
        select(Enrollment).join(Person).where(Person.subject == "student-1")
    ).one()
    db.session.add(
        MasteryRecord(
            course_id=course_id,
            enrollment_id=enrollment.id,
            target_id=target.id,
            method="decaying_average",
            score=3.0,
            label="Mastery",
            grade=85.0,
            details={},
        )
    )
    db.session.commit()
    page = client.post(
        f"/courses/{course_id}/teach/deep-link",
        data={"kind": "targets", "target_ids": [target.id], "mode": "aggregate", "points": "4"},
    )
    assert send_to_platform(page.get_data(as_text=True)).status_code == 200
    (thread,) = started
    thread.join(timeout=10)
    assert not thread.is_alive()
    (placed,) = platform.placed_links
    column = placed["line_item_url"]
    row = db.session.scalars(select(LineItem).where(LineItem.url == column)).one()
    assert row.passback_mode == "aggregate"
    grades.push_pending(sender_for(app), now=datetime.now(UTC))
    (score,) = platform.scores_for(column)
    assert score["userId"] == "student-1"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["scoreGiven"] / score["scoreMaximum"] == 0.85  # the LMS scales to its points
    assert platform.gradebook(column) == {"student-1": score["scoreGiven"]}
