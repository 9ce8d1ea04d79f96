"""Teacher page for the course's mastery settings: scale, method, grades, reassessment."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.evidence import RelearningRequirement
from lti_pl.domain.mastery import CALCULATION_METHODS
from lti_pl.lti.roles import CourseRole
from lti_pl.models.base import utcnow
from lti_pl.services import course_settings
from lti_pl.services.courses import course_policy
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.errors import form_page
from lti_pl.web.instructor import bp

EXTRA_LEVEL_ROWS = 2
#: Most level rows a posted form may say it has (far more than any scale has): a bigger
#: `level_count`, like one that is no number, is a broken form, not a loop over a trillion rows.
MAX_LEVEL_ROWS = 100


def _page(error: InvalidInputError | None = None) -> ResponseReturnValue:
    course = current_enrollment().course
    policy = course_policy(course)
    return form_page(
        "instructor/settings/index.html",
        error,
        course=course,
        scale=policy.scale,
        extra_rows=EXTRA_LEVEL_ROWS,
        method=policy.method,
        params=policy.params,
        conversion=policy.conversion,
        policy=policy.reassessment,
        relearning=list(RelearningRequirement),
        methods=CALCULATION_METHODS,
    )


def _level_count(text: str) -> int:
    """The number of level rows the form says it has; 0 (so "needs a level") if broken."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 3 or int(text) > MAX_LEVEL_ROWS:
        return 0
    return int(text)


@bp.get("/settings")
@requires_role(CourseRole.TEACHER)
def settings(course_id: int) -> ResponseReturnValue:
    """The settings form."""
    return _page()


@bp.post("/settings")
@requires_role(CourseRole.TEACHER)
def save_settings(course_id: int) -> ResponseReturnValue:
    """Save the settings and recompute the course's mastery."""
    form = request.form
    method = form.get("calculation_method", "")
    levels = [
        (
            form.get(f"level_{i}_points", ""),
            form.get(f"level_{i}_label", ""),
            form.get(f"level_{i}_color", ""),
        )
        for i in range(_level_count(form.get("level_count", "")))
    ]
    grades = {
        key.removeprefix("grade_"): value
        for key, value in form.items()
        if key.startswith("grade_") and key != "grade_mode"
    }
    settings_form = course_settings.SettingsForm(
        levels=levels,
        mastery_points=form.get("mastery_points", ""),
        calculation_method=method,
        method_params={
            p.name: form.get(f"param_{method}_{p.name}", "")
            for p in (
                CALCULATION_METHODS[method].parameters if method in CALCULATION_METHODS else ()
            )
        },
        grade_mode=form.get("grade_mode", "table"),
        grades=grades,
        max_attempts=form.get("max_attempts", ""),
        window_days=form.get("window_days", ""),
        relearning=form.get("relearning", "none"),
    )
    try:
        _, count = course_settings.update_settings(
            current_enrollment(), settings_form, now=utcnow()
        )
    except InvalidInputError as error:
        return _page(error)
    flash(f"Settings saved; {count} mastery results recomputed.")
    return redirect(url_for("instructor.settings", course_id=course_id), 303)
