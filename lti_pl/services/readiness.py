"""Who looks ready to show mastery at their next assessment: BKT fitted per standard by EM.

Each standard (a CASE item, or a target linked to none) gets its BKT parameters fitted from
every student's assessments on it in every course of the platform (an attempt counts as correct
when it reaches its course's mastery threshold). With them, a student's attempts so far give the
probability that the next one reaches mastery. This is a hint for the teacher, never a grade: it
writes no MasteryRecord and sends nothing to the LMS.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select

from lti_pl.analytics import bkt_fit
from lti_pl.domain.enrollments import EnrollmentStatus
from lti_pl.domain.ids import page_count
from lti_pl.domain.mastery import calculation_method as mastery_method
from lti_pl.domain.mastery.result import BKT_METHOD
from lti_pl.extensions import db
from lti_pl.lti.roles import CourseRole
from lti_pl.models.courses import Course, Enrollment
from lti_pl.models.evidence import Assessment, MasteryRecord
from lti_pl.models.platforms import Platform
from lti_pl.models.standards import ReadinessFit
from lti_pl.models.targets import LearningTarget
from lti_pl.services import standards_progress
from lti_pl.services.courses import course_scale

logger = logging.getLogger(__name__)

#: Below this much evidence a fit says more about noise than the standard: defaults are used.
MIN_STUDENTS = 5
MIN_OBSERVATIONS = 15
#: P(next attempt at mastery) from which a student is shown as likely ready.
READY_PROBABILITY = 0.6
REFIT_EVERY = timedelta(minutes=5)
#: Pseudo-attempts pulling a fit towards the defaults: with a class or two of evidence the
#: estimates stay sensible (no "learns for sure after one attempt"); with thousands they lead.
PRIOR_STRENGTH = 20.0
# The mastery engine's BKT defaults: what a standard with too little evidence falls back to.
_BKT_DEFAULTS = mastery_method(BKT_METHOD).defaults()
DEFAULTS = bkt_fit.BktParameters(
    prior=_BKT_DEFAULTS["p_init"],
    learn=_BKT_DEFAULTS["p_transit"],
    guess=_BKT_DEFAULTS["p_guess"],
    slip=_BKT_DEFAULTS["p_slip"],
)


def standard_key(target: LearningTarget) -> str:
    """The standard a target measures: its CASE item, else the target alone."""
    return _standard_key(target.case_guid, target.id)


def _standard_key(case_guid: str | None, target_id: int) -> str:
    return case_guid or f"target:{target_id}"


def issuers() -> list[str]:
    """Every registered issuer."""
    return sorted(set(db.session.scalars(select(distinct(Platform.issuer)))))


def _attempts(issuer: str, keys: set[str] | None = None, persons: set[int] | None = None):  # type: ignore[no-untyped-def]
    """{standard key: {person id: [(correct, course id)]}}, oldest first.

    Reads columns, not rows: every assessment of the platform passes through here (the refit
    reads them all), and a whole target and course per assessment cost seconds in a term.
    """
    query = (
        select(
            Assessment.score,
            LearningTarget.id,
            LearningTarget.case_guid,
            Enrollment.person_id,
            Enrollment.course_id,
        )
        .join(LearningTarget, LearningTarget.id == Assessment.target_id)
        .join(Enrollment, Enrollment.id == Assessment.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(Platform.issuer == issuer, Enrollment.role == CourseRole.STUDENT.value)
        .order_by(Assessment.assessed_at, Assessment.id)
    )
    if persons is not None:
        query = query.where(Enrollment.person_id.in_(list(persons)))
    rows = db.session.execute(query).all()
    thresholds = {
        course.id: course_scale(course).mastery_points
        for course in db.session.scalars(
            select(Course).where(Course.id.in_({course_id for *_, course_id in rows}))
        )
    }
    found: dict[str, dict[int, list[tuple[bool, int]]]] = defaultdict(lambda: defaultdict(list))
    for score, target_id, case_guid, person_id, course_id in rows:
        key = _standard_key(case_guid, target_id)
        if keys is not None and key not in keys:
            continue
        found[key][person_id].append((score >= thresholds[course_id], course_id))
    return found


def refit(issuer: str, *, now: datetime) -> list[ReadinessFit]:
    """Fit every standard of the issuer that has evidence, and store the parameters."""
    stored = {
        fit.standard_key: fit
        for fit in db.session.scalars(select(ReadinessFit).where(ReadinessFit.issuer == issuer))
    }
    fits = []
    for key, by_person in _attempts(issuer).items():
        sequences = [[c for c, _ in attempts] for attempts in by_person.values()]
        observations = sum(len(s) for s in sequences)
        row = stored.get(key) or ReadinessFit(issuer=issuer, standard_key=key)
        if len(sequences) >= MIN_STUDENTS and observations >= MIN_OBSERVATIONS:
            result = bkt_fit.fit(sequences, prior_strength=PRIOR_STRENGTH, prior_means=DEFAULTS)
            params, log_likelihood = result.parameters, result.log_likelihood
            note = f"fitted by EM from {len(sequences)} students"
            if params.guess >= 0.5 or params.slip >= 0.5:
                params, note = DEFAULTS, "defaults: the fit was implausible"
        else:
            params, log_likelihood = DEFAULTS, None
            note = f"defaults: only {len(sequences)} students so far"
        row.prior, row.learn = params.prior, params.learn
        row.guess, row.slip = params.guess, params.slip
        row.students, row.observations = len(sequences), observations
        row.log_likelihood, row.note, row.fitted_at = log_likelihood, note, now
        if row.id is None:
            db.session.add(row)
        fits.append(row)
    db.session.flush()
    logger.info("readiness refit standards=%s", len(fits))
    return fits


def is_refit_due(issuer: str, *, now: datetime, every: timedelta = REFIT_EVERY) -> bool:
    """Whether a fit is due: assessments since the last fit, and that fit older than `every`.

    With no fit yet, any assessment of the platform makes one due (none: nothing to fit).
    """
    last = db.session.scalar(
        select(func.max(ReadinessFit.fitted_at)).where(ReadinessFit.issuer == issuer)
    )
    if last is not None:
        if last.tzinfo is None:  # SQLite drops the zone
            last = last.replace(tzinfo=now.tzinfo)
        if now - last < every:
            return False
    newer = (
        select(Assessment.id)
        .join(Course, Course.id == Assessment.course_id)
        .join(Platform, Platform.id == Course.platform_id)
        .where(Platform.issuer == issuer)
    )
    if last is not None:
        newer = newer.where(Assessment.assessed_at > last)
    return db.session.scalar(newer.limit(1)) is not None


def refit_if_due(issuer: str, *, now: datetime, every: timedelta = REFIT_EVERY) -> bool:
    """Refit when `is_refit_due`.

    Returns:
        Whether it refitted.
    """
    if not is_refit_due(issuer, now=now, every=every):
        return False
    refit(issuer, now=now)
    return True


@dataclass(frozen=True)
class Readiness:
    """A student's chance to reach mastery at their next assessment on a target."""

    enrollment: Enrollment
    target: LearningTarget
    probability: float
    known: float
    reason: str
    is_ready: bool


def _params(issuer: str, keys: set[str]) -> dict[str, bkt_fit.BktParameters]:
    rows = db.session.scalars(
        select(ReadinessFit).where(
            ReadinessFit.issuer == issuer, ReadinessFit.standard_key.in_(list(keys))
        )
    )
    return {
        row.standard_key: bkt_fit.BktParameters(row.prior, row.learn, row.guess, row.slip)
        for row in rows
    }


def _reason(attempts: list[tuple[bool, int]], course_id: int, known: float) -> str:
    if not attempts:
        return "No assessment on this standard yet."
    recent = attempts[-4:]
    hits = sum(1 for correct, _ in recent if correct)
    other = sum(1 for _, c in attempts if c != course_id)
    text = (
        f"{hits} of the last {len(recent)} assessments reached mastery"
        f"{' (the latest did)' if recent[-1][0] else ''}; "
        f"about {round(known * 100)}% likely to know it now."
    )
    if other:
        text += f" Includes {other} from an earlier course."
    return text


def course_readiness(course: Course, *, student_id: int | None = None) -> list[Readiness]:
    """Each student × target of the course not yet mastered, with the next-attempt chance.

    Most likely first; a fixed number of queries, whatever the course's size.
    """
    issuer = course.platform.issuer
    targets = {
        t.id: t
        for t in db.session.scalars(
            select(LearningTarget).where(
                LearningTarget.course_id == course.id, LearningTarget.archived_at.is_(None)
            )
        )
    }
    query = select(Enrollment).where(
        Enrollment.course_id == course.id,
        Enrollment.role == CourseRole.STUDENT.value,
        Enrollment.status != EnrollmentStatus.DELETED,
    )
    if student_id is not None:
        query = query.where(Enrollment.id == student_id)
    students = list(db.session.scalars(query))
    if not targets or not students:
        return []
    keys = {standard_key(t) for t in targets.values()}
    attempts = _attempts(issuer, keys, {s.person_id for s in students})
    params = _params(issuer, keys)
    mastered = set(
        db.session.execute(
            select(MasteryRecord.enrollment_id, MasteryRecord.target_id).where(
                MasteryRecord.course_id == course.id, MasteryRecord.is_mastered.is_(True)
            )
        ).tuples()
    )
    # Earlier courses' assessments count for a student only where the platform's admin shares
    # prior levels; the fitted parameters themselves pool every course (no one's data shows).
    shares = standards_progress.settings_for(issuer).share_prior_levels
    found = []
    for student in students:
        for target in targets.values():
            if (student.id, target.id) in mastered:
                continue
            key = standard_key(target)
            history = attempts.get(key, {}).get(student.person_id, [])
            if not shares:
                history = [(c, course_id) for c, course_id in history if course_id == course.id]
            if not history:
                continue
            known, chance = bkt_fit.predict_next([c for c, _ in history], params.get(key, DEFAULTS))
            found.append(
                Readiness(
                    student,
                    target,
                    chance,
                    known,
                    _reason(history, course.id, known),
                    chance >= READY_PROBABILITY,
                )
            )
    found.sort(key=lambda r: (-r.probability, r.enrollment.person.display_name, r.target.id))
    return found


#: Rows of the readiness page at a time; the assessment queue shows the most likely few.
READINESS_PAGE = 100
READY_IN_QUEUE = 10


@dataclass(frozen=True)
class ReadinessPage:
    """One page of the course's readiness table, most likely first.

    Attributes:
        rows: the page's rows.
        page: its number (1-based; past the last page shows the last).
        pages: how many pages there are (at least 1).
        total: the rows on every page.
        first: the place of the page's first row (1-based, 0 when empty).
    """

    rows: list[Readiness]
    page: int
    pages: int
    total: int
    first: int


def readiness_page(
    course: Course, *, page: int = 1, student_id: int | None = None
) -> ReadinessPage:
    """A page of `course_readiness` (a term holds thousands of student × target rows)."""
    found = course_readiness(course, student_id=student_id)
    pages = page_count(len(found), READINESS_PAGE)
    page = min(page, pages)
    start = (page - 1) * READINESS_PAGE
    shown = found[start : start + READINESS_PAGE]
    return ReadinessPage(shown, page, pages, len(found), start + 1 if shown else 0)


def ready_students(course: Course) -> ReadinessPage:
    """The students likely to show mastery at their next assessment: the most likely few."""
    ready = [r for r in course_readiness(course) if r.is_ready]
    shown = ready[:READY_IN_QUEUE]
    return ReadinessPage(shown, 1, page_count(len(ready), READY_IN_QUEUE), len(ready), 1)


def student_readiness(student: Enrollment, target_id: int) -> Readiness | None:
    """The student's own readiness on one target (for "you look ready"), or None."""
    return next(
        (
            r
            for r in course_readiness(student.course, student_id=student.id)
            if r.target.id == target_id
        ),
        None,
    )
