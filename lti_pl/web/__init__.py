"""register_web(app): blueprints, error handlers, the commit hook, sessions and headers."""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, Request, Response
from flask import request as flask_request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, Map

from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import MAX_ID
from lti_pl.extensions import db
from lti_pl.web.errors import register_error_handlers

SESSION_PARAM = "lti_pl_s"


class CookieOrUrlSessionInterface(SecureCookieSessionInterface):
    """The signed session from the cookie, or, where the LMS iframe blocks cookies, from the URL.

    A launch that had to prove its state through platform storage (no cookie came back) switches
    the browser to URL sessions: every link and form action the tool renders carries the signed
    session, and `Referrer-Policy: no-referrer` keeps it from leaking to other sites.
    """

    def open_session(self, app: Flask, request: Any) -> SessionMixin | None:  # noqa: D102
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        token = request.cookies.get(self.get_cookie_name(app))
        from_url = False
        if not token:
            token = request.args.get(SESSION_PARAM) or request.form.get(SESSION_PARAM)
            from_url = bool(token)
        if not token:
            return self.session_class()
        try:
            data = serializer.loads(
                token, max_age=int(app.permanent_session_lifetime.total_seconds())
            )
        except Exception:
            return self.session_class()
        request.environ[URL_SESSION_FLAG] = from_url
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:  # noqa: D102
        if is_url_session():
            return
        super().save_session(app, session, response)


URL_SESSION_FLAG = "lti_pl.session_in_url"


def is_url_session() -> bool:
    """Whether this request keeps its session in the URL instead of a cookie."""
    return bool(flask_request.environ.get(URL_SESSION_FLAG))


def use_url_session() -> None:
    """Switch this request (and the links it renders) to a URL session."""
    flask_request.environ[URL_SESSION_FLAG] = True


def session_token(app: Flask, data: dict[str, Any]) -> str:
    """The signed form of a session, for URL sessions."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps(data))


class RowIdConverter(IntegerConverter):
    """`<int:...>` in our URLs names a row: a number past MAX_ID is a 404, not a database error.

    Werkzeug's converter takes any number of digits; PostgreSQL refused those past the INTEGER
    ids ("integer out of range") and the SQLite driver those past 64 bits, both with a 500.
    """

    def __init__(
        self, url_map: Map, fixed_digits: int = 0, min: int = 0, max: int = MAX_ID
    ) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


class NamedFieldsParser(FormDataParser):
    """Werkzeug's form parser, leaving out multipart parts that carry no field name.

    Werkzeug files such a part under the key None, which no browser sends and on which every
    view that walks the form's keys (`key.startswith("group-")`) would fail.
    """

    def parse(  # noqa: D102
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        stream, form, files = super().parse(stream, mimetype, content_length, options)
        return stream, self._named(form), self._named(files)

    def _named(self, fields: MultiDict[str, Any]) -> MultiDict[str, Any]:
        if None not in fields:
            return fields
        return self.cls([(k, v) for k, v in fields.items(multi=True) if k is not None])


class BrowserRequest(Request):
    """The request class of the app: forms parsed by NamedFieldsParser."""

    form_data_parser_class = NamedFieldsParser


#: Blueprints whose requests are checked by refuse_nul_characters (the LTI endpoints check their
#: own input and answer with launch errors).
CHECKED_BLUEPRINTS = frozenset({"instructor", "student", "admin"})
NUL_MESSAGE = (
    "The form holds an invisible NUL character, which cannot be saved. "
    "Retype the text without it and send the form again."
)


def refuse_nul_characters() -> None:
    """Refuse a request whose query, form fields or file names hold a NUL character.

    No browser form sends one, but a broken or hostile client can, and PostgreSQL text cannot
    hold it: saved, it would fail the request with a 500 instead of a reason.

    Raises:
        InvalidInputError: naming the field.
    """
    if flask_request.blueprint not in CHECKED_BLUEPRINTS:
        return
    fields = [*flask_request.args.items(multi=True), *flask_request.form.items(multi=True)]
    fields += [
        (key, upload.filename or "") for key, upload in flask_request.files.items(multi=True)
    ]
    for key, value in fields:
        if "\x00" in key or "\x00" in value:
            raise InvalidInputError(NUL_MESSAGE, field=key.replace("\x00", ""))


def register_web(app: Flask) -> None:
    """Register blueprints, handlers and hooks."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from lti_pl.web import admin, instructor, lti, student

    app.session_interface = CookieOrUrlSessionInterface()
    app.request_class = BrowserRequest
    app.url_map.converters["int"] = RowIdConverter  # before the blueprints' rules are added
    app.config.setdefault("SESSION_COOKIE_PARTITIONED", True)
    for blueprint in (lti.bp, instructor.bp, student.bp, admin.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    app.before_request(refuse_nul_characters)

    @app.url_defaults
    def _carry_url_session(endpoint: str, values: dict[str, Any]) -> None:
        if is_url_session() and endpoint != "static" and SESSION_PARAM not in values:
            # A URL carries a snapshot of the session: the CSRF secret must be in it before the
            # first URL is rendered, or the first form's action (rendered before its
            # csrf_token()) carries a session without the secret and its POST fails with 400.
            generate_csrf()
            values[SESSION_PARAM] = session_token(app, dict(session))

    @app.after_request
    def _commit_unless_error(response: Response) -> Response:
        """Services flush; the request commits. On errors the teardown discards the session."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        ancestors = " ".join(["'self'", *frame_ancestors(app)])
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; form-action *; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {ancestors}",
        )
        return response

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}, 200

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from lti_pl.web.access import current_enrollment_or_none

        return {
            "session_param": SESSION_PARAM,
            "current_enrollment_or_none": current_enrollment_or_none,
        }

    del healthz, _globals, _carry_url_session, _commit_unless_error, _security_headers


def frame_ancestors(app: Flask) -> list[str]:
    """Origins allowed to frame the tool: the registered platforms' login origins, cached."""
    runtime = app.extensions["lti_pl"]
    cached = runtime.store.get("frame-ancestors")
    if cached is not None:
        return list(cached)
    from urllib.parse import urlsplit

    from lti_pl.models.platforms import Platform

    origins: set[str] = set()
    for issuer, login in db.session.execute(select(Platform.issuer, Platform.auth_login_url)):
        for url in (issuer, login):
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"} and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    result = sorted(origins)
    runtime.store.set("frame-ancestors", result, 60)
    return result
