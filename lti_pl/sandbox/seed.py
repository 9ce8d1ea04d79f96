"""The demo course's content, written through the tool's own services (never raw rows).

People arrive as launches would bring them (`services.launches.provision`); targets, boards,
profiles and evidence through their areas' services, as a teacher and students would make them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from lti_pl.lti.claims import RESOURCE_LINK_REQUEST, LaunchInfo
from lti_pl.lti.roles import course_role
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.platforms import Platform
from lti_pl.sandbox.course import CONTEXT_ID, CONTEXT_LABEL, CONTEXT_TITLE, SandboxPerson
from lti_pl.sandbox.platform import CLIENT_ID, DEPLOYMENT_ID, SandboxPlatform
from lti_pl.services import board_activities, launches
from lti_pl.services.evidence import UploadLimits

logger = logging.getLogger(__name__)


def _platform_row(platform: SandboxPlatform) -> Platform:
    return select_one(
        select(Platform).where(Platform.issuer == platform.issuer, Platform.client_id == CLIENT_ID)
    )


def select_one(query: object) -> Platform:
    """The single row of a query (the sandbox must be registered first)."""
    from lti_pl.extensions import db

    row = db.session.scalars(query).first()  # type: ignore[call-overload]
    if row is None:
        raise LookupError("the sandbox is not registered with the tool")
    return row  # type: ignore[no-any-return]


def _info(platform: SandboxPlatform, platform_id: int, person: SandboxPerson) -> LaunchInfo:
    return LaunchInfo(
        platform_id=platform_id,
        issuer=platform.issuer,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        message_type=RESOURCE_LINK_REQUEST,
        subject=person.user_id,
        roles=person.roles,
        course_role=course_role(person.roles),
        context_id=CONTEXT_ID,
        context_title=CONTEXT_TITLE,
        context_label=CONTEXT_LABEL,
        name=person.name,
        given_name=person.given_name,
        family_name=person.family_name,
        email=person.email,
        memberships_url=f"{platform.url}/nrps/{CONTEXT_ID}",
        line_items_url=f"{platform.url}/ags/{CONTEXT_ID}/lineitems",
        mentor_of=person.mentor_of,
    )


def seed(platform: SandboxPlatform, *, now: datetime, content: bool = True) -> bool:
    """Seed the sandbox course once; flushes, the caller commits.

    Returns:
        False when the course already exists in the tool.
    """
    from lti_pl.extensions import db

    platform_id = _platform_row(platform).id
    existing = db.session.scalars(
        select(Course).where(Course.platform_id == platform_id, Course.context_id == CONTEXT_ID)
    ).first()
    if existing is not None:
        return False
    enrollments: dict[str, Enrollment] = {}
    for person in platform.people:
        outcome = launches.provision(_info(platform, platform_id, person), now)
        enrollment = db.session.get(Enrollment, outcome.enrollment_id)
        assert enrollment is not None  # noqa: S101 - provision just made it
        enrollment.last_launch_at = None  # seeded, not launched
        enrollments[person.user_id] = enrollment
    db.session.flush()
    if content:
        _seed_content(platform, enrollments, now=now)
    logger.info("sandbox course seeded people=%s content=%s", len(enrollments), content)
    return True


TARGETS = (
    ("Cells", "I can describe the parts of a cell and what each part does."),
    ("Cells", "I can compare plant and animal cells."),
    ("Ecosystems", "I can explain how energy flows through a food web."),
    ("Ecosystems", "I can predict how a change in one population affects an ecosystem."),
    ("Investigations", "I can design a fair test and name its variables."),
)
BOARD_ACTIVITIES = (
    # title, modality, interests, readiness, minutes, requirement
    ("Label a cell diagram", "read", "", "practice", 15, "must_do"),
    ("Build a cell model from kitchen items", "create", "cooking, art", "practice", 30, "may_do"),
    ("Watch: a tour inside the cell", "watch", "videos", "reteach", 10, "may_do"),
    ("Write a cell-city comic", "create", "art, comics, stories", "extension", 25, "may_do"),
    ("Cell organelle quiz game", "practise", "games, sport", "practice", 15, "may_do"),
    ("Podcast: the cell's power plants", "listen", "music, podcasts", "reteach", 15, "may_do"),
    ("Debate: is a virus alive?", "discuss", "debate", "extension", 20, "may_do"),
)
#: The demo's activities sit at the station their readiness suits (for station rotations).
STATION_FOR_READINESS = {
    "reteach": "teacher_led",
    "practice": "collaborative",
    "extension": "independent",
}
INTERESTS = (
    "art",
    "games",
    "music",
    "sport",
    "cooking",
    "comics",
    "animals",
    "videos",
    "stories",
    "debate",
)
MODALITIES = ("read", "watch", "listen", "practise", "create", "discuss")
RATINGS = ("not_yet", "getting_there", "got_it", "can_teach")


def _seed_content(
    platform: SandboxPlatform, enrollments: dict[str, Enrollment], *, now: datetime
) -> None:
    """Targets, a published choice board, varied profiles and a few weeks of assessments.

    Student 01 (the e2e and README journey) is left untouched: no profile, no evidence.
    """
    import random
    from datetime import timedelta

    from lti_pl.services import choice_boards, evidence, profiles, targets

    rand = random.Random(7)  # noqa: S311 - demo data, the same course every time
    teacher = enrollments[platform.teacher.user_id]
    made = [
        targets.create_target(
            teacher, targets.TargetFields(statement=text, unit=unit), now=now - timedelta(days=30)
        )
        for unit, text in TARGETS
    ]
    board = choice_boards.create_board(
        teacher,
        choice_boards.BoardInput(
            title="Cells choice board",
            description="Do the must-do, then choose two may-dos that suit you.",
            target_id=str(made[0].id),
            choose_n="2",
        ),
        now=now - timedelta(days=21),
    )
    for title, modality, interests, readiness, minutes, requirement in BOARD_ACTIVITIES:
        board_activities.save_activity(
            teacher,
            board.id,
            None,
            board_activities.ActivityInput(
                title=title,
                instructions=f"{title}. Ask your teacher if you get stuck.",
                modality=modality,
                interests=interests,
                readiness=readiness,
                minutes=str(minutes),
                requirement=requirement,
                station=STATION_FOR_READINESS[readiness],
            ),
            now=now - timedelta(days=21),
        )
    choice_boards.set_published(teacher, board.id, True, now=now - timedelta(days=21))
    students = [e for uid, e in enrollments.items() if uid.startswith("sandbox-student-")]
    for student in students[1:]:
        profiles.save_profile(
            student,
            profiles.ProfileInput(
                interests=", ".join(rand.sample(INTERESTS, rand.randint(1, 3))),
                modalities=tuple(rand.sample(MODALITIES, rand.randint(1, 3))),
                ratings={t.id: rand.choice(RATINGS) for t in made[:3] if rand.random() < 0.7},
            ),
            now=now - timedelta(days=20),
        )
    # A few weeks of assessed evidence on the first three targets: the data wall has colour.
    for number, student in enumerate(students[1:], start=2):
        ability = rand.uniform(0.8, 3.8)
        for position, target in enumerate(made[:3]):
            if number % 5 == 0 and position == 2:
                continue  # some gaps: not every student has been assessed on every target
            for week in range(rand.randint(1, 3)):
                when = now - timedelta(days=18 - week * 6 - position, hours=number)
                item = evidence.submit_evidence(
                    student,
                    target.id,
                    kind="text",
                    text=f"My work on: {target.statement}",
                    url="",
                    upload=None,
                    limits=_NO_UPLOADS,
                    now=when,
                )
                score = max(0, min(4, round(ability + week * 0.4 + rand.uniform(-0.8, 0.8))))
                evidence.assess(
                    teacher,
                    student.id,
                    target.id,
                    score=float(score),
                    comment=rand.choice(COMMENTS[score]),
                    evidence_id=item.id,
                    now=when + timedelta(hours=20),
                )


COMMENTS = {
    0: ("Let's go over this together at the teacher table.",),
    1: ("A start: look again at the diagram and the key words.",),
    2: ("Nearly there: add how each part helps the cell.", "Close: check your labels."),
    3: ("Solid: you explained it clearly.", "Mastery shown: well done."),
    4: ("Excellent: you could teach this to the class.",),
}


_NO_UPLOADS = UploadLimits(folder="", max_bytes=0, allowed_types=frozenset())
