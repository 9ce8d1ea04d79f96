"""Builders for choice boards, profiles and mastery, and HTTP helpers driving the emulator."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.choice_boards import Activity, ChoiceBoard
from lti_pl.models.courses import Course, Enrollment, Person
from lti_pl.models.evidence import MasteryRecord
from lti_pl.models.profiles import LearningProfile
from lti_pl.models.targets import LearningTarget
from lti_pl.services import mastery
from tests.support.builders import T0, make_assessment, make_target

COURSE_IN_URL = re.compile(r"/courses/(\d+)/")
ACTIVITY_IDS = re.compile(r'<article class="card activity" id="activity-(\d+)"')


def launch(platform: Any, client: Any, role: str, user_id: str, **claims: Any) -> int:
    """Launch through the emulator; return the course id."""
    claims.setdefault("name", user_id.replace("-", " ").title())
    response = platform.launch(client, role=role, user_id=user_id, **claims)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = COURSE_IN_URL.search(response.headers["Location"])
    assert match
    return int(match.group(1))


def enrollment_of(course_id: int, user_id: str) -> Enrollment:
    """The enrollment of a platform user in a course."""
    return db.session.scalars(
        select(Enrollment)
        .join(Person)
        .where(Enrollment.course_id == course_id, Person.subject == user_id)
    ).one()


def course(course_id: int) -> Course:
    """The course row."""
    row = db.session.get(Course, course_id)
    assert row is not None
    return row


def assess(
    enrollment: Enrollment, target: LearningTarget, *scores: float, start: datetime = T0
) -> MasteryRecord:
    """Assessments a day apart, then the mastery helper's recompute; committed."""
    for index, score in enumerate(scores):
        make_assessment(enrollment, target, score, assessed_at=start + timedelta(days=index))
    record = mastery.recompute(enrollment.id, target.id, now=start + timedelta(days=len(scores)))
    db.session.commit()
    return record


def make_board(
    course: Course,
    target: LearningTarget | None = None,
    activities: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> ChoiceBoard:
    """A board with activities (dicts of Activity columns; sensible defaults), committed."""
    fields.setdefault("title", "Board")
    fields.setdefault("layout", "menu")
    fields.setdefault("is_published", True)
    board = ChoiceBoard(course_id=course.id, target_id=target.id if target else None, **fields)
    for index, spec in enumerate(activities or []):
        values = {
            "title": f"Activity {index + 1}",
            "modality": "read",
            "readiness": "practice",
            "requirement": "may_do",
            "minutes": 10,
            "interests": [],
            "position": index,
        }
        values.update(spec)
        board.activities.append(Activity(**values))
    db.session.add(board)
    db.session.commit()
    return board


def make_profile(enrollment: Enrollment, interests: list[str], modalities: list[str]) -> None:
    """A stored learning profile, committed."""
    db.session.add(
        LearningProfile(enrollment_id=enrollment.id, interests=interests, modalities=modalities)
    )
    db.session.commit()


def make_targets(course: Course, count: int) -> list[LearningTarget]:
    """`count` targets named "I can skill N"."""
    return [make_target(course, f"I can skill {n}") for n in range(1, count + 1)]
