"""Teacher pages of the teaching loop: levels set by hand, descriptors, audit trail.

A student's level on a target (override, relearning, work dates), level descriptors, one
evidence on several targets, the grade audit trail, and how the overall grade counts targets.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import (
    audit,
    descriptors,
    grading_rules,
    job_progress,
    level_review,
    multi_target,
    override_actions,
    release_rules,
    work_dates,
)
from lti_pl.services.courses import course_scale
from lti_pl.services.enrollments import course_students
from lti_pl.services.targets import target_in_course
from lti_pl.web.access import current_enrollment, query_id, query_student, requires_role
from lti_pl.web.errors import form_page
from lti_pl.web.instructor import bp


def _to_level_page(course_id: int, student_id: int, target_id: int) -> ResponseReturnValue:
    """After a change to a student's level: back to that level's page (303, a GET)."""
    return redirect(
        url_for(
            "instructor.student_level",
            course_id=course_id,
            student_id=student_id,
            target_id=target_id,
        ),
        303,
    )


def _level_page(
    student_id: int, target_id: int, error: InvalidInputError | None = None
) -> ResponseReturnValue:
    actor = current_enrollment()
    return form_page(
        "instructor/teaching/level.html",
        error,
        course=actor.course,
        review=level_review.review(actor, student_id, target_id),
    )


@bp.get("/students/<int:student_id>/targets/<int:target_id>/level")
@requires_role(CourseRole.TEACHER)
def student_level(course_id: int, student_id: int, target_id: int) -> ResponseReturnValue:
    """A student's level on a target: relearning, history, set or release a level by hand."""
    return _level_page(student_id, target_id)


@bp.post("/students/<int:student_id>/targets/<int:target_id>/override")
@requires_role(CourseRole.TEACHER)
def set_override(course_id: int, student_id: int, target_id: int) -> ResponseReturnValue:
    """Set the level by hand (a reason is required); the grade goes to the LMS."""
    try:
        override_actions.set_override(
            current_enrollment(),
            student_id,
            target_id,
            points=request.form.get("points", ""),
            reason=request.form.get("reason", ""),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _level_page(student_id, target_id, error)
    flash("Level set; the gradebook gets it in a moment.")
    return _to_level_page(course_id, student_id, target_id)


@bp.post("/students/<int:student_id>/targets/<int:target_id>/override/release")
@requires_role(CourseRole.TEACHER)
def release_override(course_id: int, student_id: int, target_id: int) -> ResponseReturnValue:
    """Release the level set by hand: the calculated level holds again."""
    override_actions.release_override(current_enrollment(), student_id, target_id, now=utcnow())
    flash("Released; the calculated level holds again.")
    return _to_level_page(course_id, student_id, target_id)


@bp.post("/assessments/<int:assessment_id>/work-date")
@requires_role(CourseRole.TEACHER)
def correct_work_date(course_id: int, assessment_id: int) -> ResponseReturnValue:
    """Correct when the work behind a score was done (it decides which score is latest)."""
    actor = current_enrollment()
    student_id = parse_id(request.form.get("student_id", ""))
    target_id = parse_id(request.form.get("target_id", ""))
    try:
        assessment = work_dates.correct_work_date(
            actor, assessment_id, request.form.get("work_done_at", ""), now=utcnow()
        )
    except InvalidInputError as error:
        if student_id is None or target_id is None:
            raise
        return _level_page(student_id, target_id, error)
    flash("Date corrected; the level was worked out again.")
    return _to_level_page(course_id, assessment.enrollment_id, assessment.target_id)


@bp.get("/audit")
@requires_role(CourseRole.TEACHER)
def grade_audit(course_id: int) -> ResponseReturnValue:
    """Every teacher action that changed or re-sent a grade: who, when, what, why.

    A page at a time, newest first (`?before=<entry id>` for older ones), for the course or one
    student (`?student=<enrollment id>`: a question about one student's grade).
    """
    actor = current_enrollment()
    student, before = query_student(actor), query_id("before")
    return render_template(
        "instructor/teaching/audit.html",
        course=actor.course,
        trail=audit.course_trail_page(
            actor, student_id=student.id if student else None, before=before
        ),
        student=student,
        students=course_students(actor.course_id),
        newest=before is None,
    )


@bp.post("/grades/aggregate-mode")
@requires_role(CourseRole.TEACHER)
def set_aggregate_mode(course_id: int) -> ResponseReturnValue:
    """Choose whether the overall grade counts assessed targets only or all targets."""
    queued = grading_rules.set_aggregate_mode(
        current_enrollment(), request.form.get("aggregate_mode", ""), now=utcnow()
    )
    if queued:
        job_progress.start(course_id, job_progress.GRADE_PASSBACK, now=utcnow(), total=queued)
    flash(f"Saved; {queued} overall grade(s) are being sent again: the progress is shown below.")
    return redirect(url_for("instructor.grades_sync", course_id=course_id), 303)


def _descriptors_page(
    target_id: int, error: InvalidInputError | None = None
) -> ResponseReturnValue:
    actor = current_enrollment()
    target = target_in_course(actor.course_id, target_id)
    return form_page(
        "instructor/teaching/descriptors.html",
        error,
        course=actor.course,
        target=target,
        levels=descriptors.described_levels(target.id, course_scale(actor.course)),
    )


@bp.get("/targets/<int:target_id>/levels")
@requires_role(CourseRole.TEACHER)
def level_descriptors(course_id: int, target_id: int) -> ResponseReturnValue:
    """Describe what work at each level looks like on this target (single-point rubric)."""
    return _descriptors_page(target_id)


@bp.post("/targets/<int:target_id>/levels")
@requires_role(CourseRole.TEACHER)
def save_level_descriptors(course_id: int, target_id: int) -> ResponseReturnValue:
    """Save the level descriptions (blank ones are removed)."""
    texts = {
        key.removeprefix("level_"): value
        for key, value in request.form.items()
        if key.startswith("level_")
    }
    try:
        count = descriptors.save_descriptions(current_enrollment(), target_id, texts)
    except InvalidInputError as error:
        return _descriptors_page(target_id, error)
    flash(f"Saved {count} level description(s).")
    return redirect(url_for("instructor.targets", course_id=course_id), 303)


def _multi_page(evidence_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    actor = current_enrollment()
    evidence, rows = multi_target.target_rows(actor, evidence_id)
    return form_page(
        "instructor/teaching/multi_target.html",
        error,
        course=actor.course,
        item=evidence,
        rows=rows,
        scale=course_scale(actor.course),
    )


@bp.get("/evidence/<int:evidence_id>/targets")
@requires_role(CourseRole.TEACHER)
def assess_on_targets(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """One piece of evidence, a level on each target it shows."""
    return _multi_page(evidence_id)


@bp.post("/evidence/<int:evidence_id>/targets")
@requires_role(CourseRole.TEACHER)
def save_on_targets(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """Save a level on each target chosen (nothing is saved if one is invalid)."""
    scores: dict[int, str] = {}
    for key, value in request.form.items():
        target_id = parse_id(key.removeprefix("score_")) if key.startswith("score_") else None
        if target_id is not None:
            scores[target_id] = value
    try:
        saved = multi_target.assess_on_targets(
            current_enrollment(), evidence_id, scores, request.form.get("comment", ""), now=utcnow()
        )
    except InvalidInputError as error:
        return _multi_page(evidence_id, error)
    flash(f"Assessed on {len(saved)} target(s); mastery updated.")
    return redirect(url_for("instructor.assess_queue", course_id=course_id), 303)


def _rules_page(error: InvalidInputError | None = None) -> ResponseReturnValue:
    actor = current_enrollment()
    return form_page(
        "instructor/teaching/release_rules.html",
        error,
        course=actor.course,
        data=release_rules.rules_page(actor),
        scale=course_scale(actor.course),
    )


@bp.get("/release-rules")
@requires_role(CourseRole.TEACHER)
def release_rules_page(course_id: int) -> ResponseReturnValue:
    """Mastery-based release: rules by level range, and every automatic assignment."""
    return _rules_page()


@bp.post("/release-rules")
@requires_role(CourseRole.TEACHER)
def add_release_rule(course_id: int) -> ResponseReturnValue:
    """Add a rule: a level in the range on the target assigns the activity."""
    target_id = parse_id(request.form.get("target_id", ""))
    activity_id = parse_id(request.form.get("activity_id", ""))
    try:
        if target_id is None or activity_id is None:
            raise InvalidInputError("Choose a target and an activity.", field="rule")
        release_rules.add_rule(
            current_enrollment(),
            target_id=target_id,
            activity_id=activity_id,
            min_points=request.form.get("min_points", ""),
            max_points=request.form.get("max_points", ""),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _rules_page(error)
    flash("Rule added; it assigns the activity the next time a level enters its range.")
    return redirect(url_for("instructor.release_rules_page", course_id=course_id), 303)


@bp.post("/release-rules/<int:rule_id>/delete")
@requires_role(CourseRole.TEACHER)
def delete_release_rule(course_id: int, rule_id: int) -> ResponseReturnValue:
    """Remove a rule (what it assigned stays until undone)."""
    release_rules.delete_rule(current_enrollment(), rule_id)
    flash("Rule removed.")
    return redirect(url_for("instructor.release_rules_page", course_id=course_id), 303)


@bp.post("/release-rules/assignments/<int:auto_id>/undo")
@requires_role(CourseRole.TEACHER)
def undo_auto_assignment(course_id: int, auto_id: int) -> ResponseReturnValue:
    """Undo an automatic assignment."""
    try:
        release_rules.undo(current_enrollment(), auto_id, now=utcnow())
    except InvalidInputError as error:
        return _rules_page(error)
    flash("Undone: the activity is no longer assigned to the student.")
    return redirect(url_for("instructor.release_rules_page", course_id=course_id), 303)
