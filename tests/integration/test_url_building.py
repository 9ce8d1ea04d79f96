"""The app keeps the relative URLs it built (lti_pl.web.urls.ToolFlask): the kept URL is the
one Flask builds, under any proxy prefix, blueprint-relative name or anchor."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, url_for

from lti_pl import STATIC_DIR
from lti_pl.web import URL_SESSION_FLAG
from lti_pl.web.urls import ToolFlask


def built(app: Flask, path: str, base_url: str, *args: str, **values: object) -> str:
    with app.test_request_context(path, base_url=base_url):
        return url_for(*args, **values)  # type: ignore[arg-type]


def test_a_kept_url_is_the_one_flask_builds_under_each_prefix(app):
    assert isinstance(app, ToolFlask)
    plain = "http://tool.test/"
    prefixed = "http://tool.test/lti-pl/"  # a reverse proxy's X-Forwarded-Prefix, say
    app_css_version = hashlib.sha256((Path(STATIC_DIR) / "app.css").read_bytes()).hexdigest()[:12]
    for _ in range(2):  # the second time from the kept URLs
        assert built(app, "/", plain, "student.home", course_id=3) == "/courses/3/learn/"
        assert built(app, "/", prefixed, "student.home", course_id=3) == "/lti-pl/courses/3/learn/"
        assert built(app, "/", plain, "student.home", course_id=4, link=7) == (
            "/courses/4/learn/?link=7"
        )
        anchored = built(app, "/", plain, "student.target", course_id=3, target_id=5, _anchor="x y")
        assert anchored == "/courses/3/learn/targets/5#x%20y"
        assert built(app, "/", plain, "static", filename="app.css") == (
            f"/static/app.css?v={app_css_version}"
        )


def test_a_blueprint_relative_name_is_kept_per_blueprint(app):
    assert built(app, "/courses/3/learn/", "http://tool.test/", ".targets", course_id=3) == (
        "/courses/3/learn/targets"
    )
    assert built(app, "/courses/3/teach/", "http://tool.test/", ".targets", course_id=3) == (
        "/courses/3/teach/targets"
    )


def test_a_url_session_link_is_built_every_time(app):
    """It carries this request's session: a kept one would hand out another request's token."""
    with app.test_request_context("/courses/3/learn/"):
        from flask import request

        request.environ[URL_SESSION_FLAG] = True
        first = url_for("student.home", course_id=3)
    with app.test_request_context("/courses/3/learn/"):
        second = url_for("student.home", course_id=3)
    assert "lti_pl_s=" in first
    assert second == "/courses/3/learn/"


def test_an_unknown_url_defaults_function_turns_keeping_off(app):
    """It may add anything to a URL (here: a value that changes between requests)."""
    term = {"now": "fall"}

    @app.url_defaults
    def add_term(endpoint: str, values: dict[str, object]) -> None:
        if endpoint == "student.home":
            values.setdefault("term", term["now"])

    base = "http://tool.test/"
    assert built(app, "/", base, "student.home", course_id=3) == "/courses/3/learn/?term=fall"
    term["now"] = "spring"
    assert built(app, "/", base, "student.home", course_id=3) == "/courses/3/learn/?term=spring"
