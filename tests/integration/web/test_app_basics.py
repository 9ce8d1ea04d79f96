"""Config, proxy headers, security headers and error pages of the app itself."""

from __future__ import annotations

from pathlib import Path

from lti_pl.config import config_from_env


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


def test_forwarded_headers_are_honoured_behind_a_proxy(app, db_session):
    app.config["LTI_PL_BASE_URL"] = ""
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
    # The target is on the forwarded host, so the login gets as far as the unknown issuer.
    assert response.status_code == 400
    assert "unknown_issuer" in response.get_data(as_text=True)


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
