"""Evidence files for their owner and linked observers."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from lti_pl.lti.roles import CourseRole
from lti_pl.web.access import requires_role
from lti_pl.web.instructor.evidence import serve_evidence_file
from lti_pl.web.student import bp


@bp.get("/evidence/<int:evidence_id>/file")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER)
def evidence_download(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """Download my evidence file (or my linked student's, for observers)."""
    return serve_evidence_file(evidence_id)


@bp.get("/evidence/<int:evidence_id>/inline")
@requires_role(CourseRole.STUDENT, CourseRole.OBSERVER)
def evidence_inline(course_id: int, evidence_id: int) -> ResponseReturnValue:
    """My image, video or recording (or my linked student's), to show in the page."""
    return serve_evidence_file(evidence_id, inline=True)
