"""Config, proxy headers, security headers and error pages of the app itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lti_pl.config import config_from_env
from lti_pl.extensions import db
from lti_pl.models.profiles import Goal, GoalCheckIn, LearningProfile
from tests.support.builders import T0, make_course, make_student, make_teacher, sign_in


def test_secret_key_is_generated_once_and_kept(tmp_path: Path):
    env = {"LTI_PL_INSTANCE_PATH": str(tmp_path)}
    first = config_from_env(env)["SECRET_KEY"]
    second = config_from_env(env)["SECRET_KEY"]
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config_from_env(env | {"LTI_PL_SECRET_KEY": "given"})["SECRET_KEY"] == "given"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path):
    config = config_from_env({"LTI_PL_INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lti_pl.sqlite3'}"
    pg = config_from_env(
        {"LTI_PL_INSTANCE_PATH": str(tmp_path), "LTI_PL_DATABASE_URL": "postgresql://u@h/db"}
    )
    assert pg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(("hops", "reason"), [(1, "unknown_issuer"), (0, "bad_target")])
def test_forwarded_headers_are_honoured_only_behind_a_configured_proxy(
    test_config, db_session, hops, reason
):
    from lti_pl import create_app

    app = create_app(test_config | {"LTI_PL_PROXY_HOPS": hops, "LTI_PL_BASE_URL": ""})
    client = app.test_client()
    response = client.post(
        "/lti/login",
        data={
            "iss": "x",
            "login_hint": "y",
            "target_link_uri": "https://lti.school.edu/lti/launch",
        },
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "lti.school.edu",
            "X-Forwarded-For": "10.0.0.1",
        },
        base_url="http://internal:8000",
    )
    # Trusted (one proxy configured), the target is on the forwarded host, so the login gets as
    # far as the unknown issuer; untrusted (the default), the host is the socket's: bad target.
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_security_headers_and_frame_ancestors_from_registered_platforms(client, platform):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.url}" in csp
    assert "script-src 'self';" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_unknown_page_is_a_readable_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "This page does not exist." in response.get_data(as_text=True)
    assert client.get("/no/such/page", headers={"Accept": "application/json"}).get_json()["message"]


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "target_id",
    [str(2**31), str(2**63), str(10**30)],
    ids=["past-32-bits", "past-64-bits", "30-digits"],
)
def test_ids_in_urls_past_what_a_row_can_have_are_a_readable_404(client, db_session, target_id):
    # PostgreSQL refused them ("integer out of range"), SQLite overflowed past 64 bits: a 500.
    course = make_course()
    sign_in(client, make_teacher(course))
    base = f"/courses/{course.id}/teach/targets/{target_id}"
    for response in (client.get(f"{base}/edit"), client.post(f"{base}/archive")):
        assert response.status_code == 404
        assert "This page does not exist." in response.get_data(as_text=True)


def test_multipart_parts_without_a_field_name_are_ignored(client, db_session):
    # Werkzeug files such a part under the key None; views walking the form's keys
    # (`key.startswith("rating-")`) failed on it with a 500.
    course = make_course()
    student = make_student(course)
    sign_in(client, student)
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
        b'--b\r\nContent-Disposition: form-data; name="interests"\r\n\r\nchess\r\n--b--\r\n'
    )
    response = client.post(
        f"/courses/{course.id}/learn/profile",
        data=body,
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == 303
    profile = db.session.scalars(select(LearningProfile)).one()
    assert profile.interests == ["chess"]


@pytest.mark.parametrize(
    "form",
    [{"text": "Going well\x00"}, {"text": "Going well", "\x00": "x"}],
    ids=["in-a-value", "in-a-name"],
)
def test_nul_characters_in_a_form_are_refused_with_a_reason(client, db_session, form):
    # PostgreSQL text cannot hold NUL: the check-in failed with a 500 there.
    course = make_course()
    student = make_student(course)
    goal = Goal(enrollment_id=student.id, text="Read", due=T0.date(), target_id=None)
    db.session.add(goal)
    db.session.commit()
    sign_in(client, student)
    url = f"/courses/{course.id}/learn/goals/{goal.id}/check-ins"
    response = client.post(url, data=form)
    assert response.status_code == 422
    assert "invisible NUL character" in response.get_data(as_text=True)
    answer = client.post(url, data=form, headers={"Accept": "application/json"})
    assert answer.get_json()["error"] == "InvalidInputError"
    assert db.session.scalars(select(GoalCheckIn)).all() == []
