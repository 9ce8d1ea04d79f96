"""AGS line items and results against the emulator: create, find, update, delete, paged results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_pl.lti.ags import ALL_SCOPES, Score
from lti_pl.models.grades import LineItem
from lti_pl.services import grade_passback, line_items
from tests.support.grades import graded_course, sender_for

# The grade, deep-linking, roster and launch suites run against every platform profile.
pytestmark = pytest.mark.platform_profiles

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_line_item_lifecycle_and_paged_results(app, client, platform):
    course = graded_course(client, platform, students=0)
    ags = sender_for(app).client(course.course.platform_id, ALL_SCOPES)
    container = f"{platform.url}/ags/course-1/lineitems"

    created = ags.create_line_item(
        container,
        label="Unit 1",
        score_maximum=4,
        resource_id="7",
        tag="target-7",
        resource_link_id="rl-1",
    )
    assert platform.line_items[created["id"]]["tag"] == "target-7"
    ags.create_line_item(container, label="Other", score_maximum=10, tag="aggregate")
    assert [i["id"] for i in ags.find_line_items(container, tag="target-7")] == [created["id"]]
    assert [
        i["id"] for i in ags.find_line_items(container, resource_link_id="rl-1", resource_id="7")
    ] == [created["id"]]

    ags.update_line_item(created["id"], {"label": "Unit 1 (renamed)"})
    assert platform.line_items[created["id"]]["label"] == "Unit 1 (renamed)"

    for i in range(5):  # the emulator pages results two at a time
        ags.post_score(
            created["id"], Score(f"u{i}", float(i), 4.0, "", "Completed", "FullyGraded", NOW)
        )
    rows = list(ags.results(created["id"]))
    assert sorted(r["userId"] for r in rows) == [f"u{i}" for i in range(5)]

    ags.delete_line_item(created["id"])
    assert created["id"] not in platform.line_items
    # One token for all of it: every AGS scope granted at once.
    assert (
        sum(
            1
            for t in platform.token_requests
            if "https://purl.imsglobal.org/spec/lti-ags/scope/score" in t.get("scopes", [])
        )
        == 1
    )


def test_find_or_create_reuses_the_platform_line_item(app, client, platform):
    course = graded_course(client, platform, students=0)
    ags = sender_for(app).client(course.course.platform_id, ALL_SCOPES)
    container = f"{platform.url}/ags/course-1/lineitems"
    passback = line_items.Passback(line_items.AGGREGATE, None, (), None)

    def find_or_create():
        return grade_passback.find_or_create_line_item(
            ags,
            course_id=course.course.id,
            line_items_url=container,
            passback=passback,
            label="Mastery",
            score_maximum=100,
        )

    first = find_or_create()
    second = find_or_create()

    assert first is not None
    assert second is not None
    assert first.id == second.id
    assert isinstance(first, LineItem)
    assert first.from_launch is False
    assert [i["tag"] for i in platform.line_items.values()] == ["aggregate"]
