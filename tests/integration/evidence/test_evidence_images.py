"""Evidence shown in its page, safely: raster images, videos and recordings only, nosniff, a
sandboxing CSP; a video answers byte ranges (Safari plays nothing without them)."""

from __future__ import annotations

import re

from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.models.evidence import Evidence
from tests.integration.evidence.test_evidence import IPAD_MOV, PNG, upload
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

    image_url = f"/courses/{course.id}/learn/evidence/{evidence.id}/inline"
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
    shown = teacher.get(f"/courses/{course.id}/teach/evidence/{evidence.id}/inline")
    assert shown.status_code == 200
    assert shown.headers["Content-Disposition"].startswith("inline;")


def test_a_file_that_is_not_a_raster_image_is_never_served_inline(app, client, db_session):
    course, evidence, page = uploaded(client, "essay.pdf", PDF)
    assert "<img" not in page
    refused = client.get(f"/courses/{course.id}/learn/evidence/{evidence.id}/inline")
    assert refused.status_code == 404
    assert "cannot be shown here" in refused.get_data(as_text=True)
    assert "inline" not in refused.headers.get("Content-Disposition", "")


def test_a_video_plays_in_the_page_and_answers_byte_ranges(app, client, db_session):
    # Before, a video was only a download link: a teacher on a Chromebook downloaded each
    # student's explanation to watch it.
    course, evidence, page = uploaded(client, "IMG_0042.MOV", IPAD_MOV)
    url = f"/courses/{course.id}/learn/evidence/{evidence.id}/inline"
    assert re.search(
        rf'<video controls playsinline preload="metadata" src="{re.escape(url)}[^"]*"', page
    )
    assert 'aria-label="Video evidence: IMG_0042.MOV"' in page
    assert "/file" in page  # the download link stays
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "video/quicktime"
    assert whole.headers["Content-Disposition"].startswith("inline;")
    assert whole.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    part = client.get(url, headers={"Range": "bytes=4-11"})
    assert part.status_code == 206
    assert part.data == IPAD_MOV[4:12]
    assert part.headers["Content-Range"] == f"bytes 4-11/{len(IPAD_MOV)}"
    teacher = sign_in(app.test_client(), make_teacher(course))
    assert (
        teacher.get(f"/courses/{course.id}/teach/evidence/{evidence.id}/inline").status_code == 200
    )


def test_a_recording_plays_in_an_audio_player(app, client, db_session):
    mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
    course, evidence, page = uploaded(client, "reading.mp3", mp3)
    url = f"/courses/{course.id}/learn/evidence/{evidence.id}/inline"
    assert re.search(rf'<audio controls preload="metadata" src="{re.escape(url)}[^"]*"', page)
    assert "<video" not in page
    assert client.get(url).headers["Content-Type"] == "audio/mpeg"
