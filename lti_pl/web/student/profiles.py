"""A student's learning profile: interests, preferred ways of working, self-assessments."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.choice_boards import Modality
from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import parse_id
from lti_pl.domain.profiles import SelfAssessment
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import profiles as service
from lti_pl.services.targets import list_targets
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.student import bp


def _render(course_id: int, error: InvalidInputError | None = None) -> ResponseReturnValue:
    student = current_enrollment()
    row = service.profile_row(student.id)
    page = render_template(
        "student/profile/edit.html",
        course_id=course_id,
        targets=list_targets(course_id),
        interests=", ".join(row.interests) if row else "",
        modalities=set(row.modalities) if row else set(),
        ratings=service.self_assessments(student.id),
        all_modalities=list(Modality),
        all_ratings=list(SelfAssessment),
        error=error,
        form=request.form if error else None,
    )
    return (page, 422) if error else page


@bp.get("/profile")
@requires_role(CourseRole.STUDENT)
def profile(course_id: int) -> ResponseReturnValue:
    """The profile form."""
    return _render(course_id)


@bp.post("/profile")
@requires_role(CourseRole.STUDENT)
def save_profile(course_id: int) -> ResponseReturnValue:
    """Save the profile."""
    form = request.form
    ratings = {
        target_id: value
        for key, value in form.items()
        if key.startswith("rating-") and (target_id := parse_id(key[7:])) is not None
    }
    try:
        service.save_profile(
            current_enrollment(),
            service.ProfileInput(
                interests=form.get("interests", ""),
                modalities=tuple(form.getlist("modalities")),
                ratings=ratings,
            ),
            now=utcnow(),
        )
    except InvalidInputError as error:
        return _render(course_id, error)
    flash("Profile saved.")
    return redirect(url_for("student.profile", course_id=course_id), 303)
