"""Image evidence is shown inline, safely: raster types only, nosniff, a sandboxing CSP."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Evidence
from tests.integration.evidence.test_evidence import PNG, upload
from tests.support.builders import make_course, make_student, make_target, make_teacher, sign_in

PDF = b"%PDF-1.4\n" + b"0" * 64


def uploaded(client, name: str, data: bytes):
    """A student of a new course uploads `name`: (course, the evidence, the target's page)."""
    course = make_course()
    student, target = make_student(course), make_target(course)
    sign_in(client, student)
    assert upload(client, student, target, name, data).status_code == 303
    evidence = db.session.scalars(select(Evidence)).one()
    page = client.get(f"/courses/{course.id}/learn/targets/{target.id}").get_data(as_text=True)
    return course, evidence, page


def test_an_image_is_shown_in_the_page_and_served_inline_with_its_type(app, client, db_session):
    course, evidence, page = uploaded(client, "drawing.png", PNG)

    image_url = f"/courses/{course.id}/learn/evidence/{evidence.id}/image"
    shown = rf'<img src="{re.escape(image_url)}[^"]*" alt="Image evidence: drawing.png"'
    assert re.search(shown, page)

    answer = client.get(image_url)
    assert answer.status_code == 200
    assert answer.data == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith("inline;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # The download link still downloads.
    download = client.get(f"/courses/{course.id}/learn/evidence/{evidence.id}/file")
    assert download.headers["Content-Disposition"].startswith("attachment;")

    teacher = sign_in(app.test_client(), make_teacher(course))
    shown = teacher.get(f"/courses/{course.id}/teach/evidence/{evidence.id}/image")
    assert shown.status_code == 200
    assert shown.headers["Content-Disposition"].startswith("inline;")


def test_a_file_that_is_not_a_raster_image_is_never_served_inline(app, client, db_session):
    course, evidence, page = uploaded(client, "essay.pdf", PDF)
    assert "<img" not in page
    refused = client.get(f"/courses/{course.id}/learn/evidence/{evidence.id}/image")
    assert refused.status_code == 404
    assert "not an image" in refused.get_data(as_text=True)
    assert "inline" not in refused.headers.get("Content-Disposition", "")
