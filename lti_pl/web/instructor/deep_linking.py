"""The content picker a deep-linking request opens, and the signed answer to the LMS."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, session
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import InvalidInputError, NotAllowedError
from lti_pl.domain.ids import parse_id
from lti_pl.jobs import column_backfill
from lti_pl.jobs.hooks import after_commit
from lti_pl.lti.deep_linking import DeepLinkError, DeepLinkSettings, answer_request
from lti_pl.lti.roles import CourseRole
from lti_pl.services import deep_linking
from lti_pl.web import allow_form_action
from lti_pl.web.access import current_enrollment, requires_role
from lti_pl.web.instructor import bp
from lti_pl.web.lti import external_url, runtime


def _request_for(course_id: int) -> dict[str, Any]:
    pending = session.get("deep_link")
    if not isinstance(pending, dict) or pending.get("course_id") != course_id:
        raise NotAllowedError(
            "There is no pending 'add content' request for this course. "
            "Start again from your LMS (add an assignment or a link with this tool)."
        )
    return pending


def _int_list(name: str) -> list[int]:
    return [i for v in request.form.getlist(name) if (i := parse_id(v)) is not None]


@bp.get("/deep-link")
@requires_role(CourseRole.TEACHER)
def deep_link_picker(course_id: int) -> ResponseReturnValue:
    """The content picker a deep-linking request opens."""
    pending = _request_for(course_id)
    return _picker(course_id, DeepLinkSettings.of(pending.get("settings") or {}))


def _picker(
    course_id: int,
    settings: DeepLinkSettings,
    error: InvalidInputError | None = None,
    *,
    status: int = 422,
) -> ResponseReturnValue:
    course = current_enrollment().course
    return (
        render_template(
            "instructor/deep_link.html",
            course=course,
            offer=deep_linking.offer(course),
            settings=settings,
            error=error,
            form=request.form,
        ),
        status if error else 200,
    )


@bp.post("/deep-link")
@requires_role(CourseRole.TEACHER)
def deep_link_return(course_id: int) -> ResponseReturnValue:
    """Build the chosen items, sign the LtiDeepLinkingResponse and post it back to the LMS."""
    pending = _request_for(course_id)
    settings = DeepLinkSettings.of(pending.get("settings") or {})
    course = current_enrollment().course
    kind = request.form.get("kind", "targets")
    try:
        if kind == "activity":
            items = [
                deep_linking.activity_item(
                    request.form.get("activity_title", ""), request.form.get("activity_text", "")
                )
            ]
        elif kind == "choice_boards":
            items = deep_linking.choice_board_items(course, _int_list("board_ids"))
        else:
            try:
                points = deep_linking.parse_points(request.form.get("points", "100"))
            except InvalidInputError as error:
                return _picker(course_id, settings, error, status=400)
            items = deep_linking.target_items(
                course,
                _int_list("target_ids"),
                mode=request.form.get("mode", "aggregate"),
                title=request.form.get("title", ""),
                points=points,
            )
        token = answer_request(
            runtime().tool_conf, pending, items, launch_url=external_url("lti.launch")
        )
    except InvalidInputError as error:
        return _picker(course_id, settings, error)
    except DeepLinkError as error:
        return _picker(course_id, settings, InvalidInputError(str(error), field="kind"))
    session.pop("deep_link", None)
    allow_form_action(settings.return_url)  # CSP form-action: this platform's return URL only
    columns = deep_linking.placed_columns(items) if settings.accept_lineitem else []
    if columns and current_app.config.get("LTI_PL_COLUMN_BACKFILL", True):
        # The LMS makes the columns when the browser posts this answer: look them up right
        # after, and send the grades already earned (no launch needed).
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        after_commit(lambda: column_backfill.start(app, course_id, columns))
    return render_template("lti/deep_link_return.html", return_url=settings.return_url, jwt=token)
