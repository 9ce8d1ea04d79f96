"""register_web(app): blueprints, error handlers, the commit hook, sessions and headers."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from flask import Flask, Request, Response
from flask import request as flask_request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, Map

from lti_pl.database import has_writes_to_commit, ping
from lti_pl.domain.errors import InvalidInputError
from lti_pl.domain.ids import MAX_ID
from lti_pl.extensions import db
from lti_pl.services.uploads import HEIC_ADVICE
from lti_pl.web.assets import register_assets
from lti_pl.web.downloads import inline_kind
from lti_pl.web.errors import register_error_handlers
from lti_pl.web.once import register_once

SESSION_PARAM = "lti_pl_s"


class CookieOrUrlSessionInterface(SecureCookieSessionInterface):
    """The signed session from the cookie, or, where the LMS iframe blocks cookies, from the URL.

    A launch that had to prove its state through platform storage (no cookie came back) switches
    the browser to URL sessions: every link and form action the tool renders carries the signed
    session, and `Referrer-Policy: no-referrer` keeps it from leaking to other sites.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per set of keys.

        Flask builds a new one on every open and every save of a session (and checks its JSON
        serializer each time), for an object that only holds the keys.
        """
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {keys: serializer}  # a new key replaces the old one
        return serializer

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
        lifetime = session_limits(app)
        try:
            # A URL token is short-lived: it is in every link, so it can be copied.
            data = serializer.loads(
                token, max_age=lifetime.url_token if from_url else lifetime.most
            )
        except Exception:
            return self.session_class()
        if not isinstance(data, dict) or not is_session_current(app, data, time.time()):
            return self.session_class()
        minted = data.pop(MINTED, None)
        if from_url and not _is_fresh_token(minted, lifetime.url_token):
            return self.session_class()
        request.environ[URL_SESSION_FLAG] = from_url
        opened = self.session_class(data)
        if time.time() - float(data.get(SEEN, 0)) > SEEN_RESOLUTION:
            opened[SEEN] = int(time.time())  # an active session stays open (idle timeout)
        return opened

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:  # noqa: D102
        if is_url_session():
            return
        if session and STARTED not in session:
            stamp_session(session, time.time())
        super().save_session(app, session, response)


#: Session keys: when it started (a launch), when it was last used, its id (for sign-out), and
#: (URL tokens only) when the token was made.
STARTED, SEEN, SESSION_ID, MINTED = "_started", "_seen", "_sid", "_minted"
SEEN_RESOLUTION = 60  # seconds: the idle clock moves in minutes, not on every request
SIGNED_OUT_PREFIX = "signed-out:"


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lives, in seconds (LTI_PL_SESSION_*)."""

    most: int
    idle: int
    url_token: int


def session_limits(app: Flask) -> SessionLimits:
    """The configured session lifetimes."""
    return SessionLimits(
        most=int(float(app.config.get("LTI_PL_SESSION_HOURS", 10)) * 3600),
        idle=int(float(app.config.get("LTI_PL_SESSION_IDLE_MINUTES", 90)) * 60),
        url_token=int(float(app.config.get("LTI_PL_URL_TOKEN_MINUTES", 90)) * 60),
    )


def is_session_current(app: Flask, data: dict[str, Any], now: float) -> bool:
    """Whether a session is within its working day, not idle too long, and not signed out."""
    limits = session_limits(app)
    try:
        started = float(data[STARTED])
        seen = float(data.get(SEEN, started))
    except (KeyError, TypeError, ValueError):
        return False
    if now - started > limits.most or now - seen > limits.idle:
        return False
    sid = data.get(SESSION_ID)
    store = app.extensions["lti_pl"].store
    return not (isinstance(sid, str) and store.get(SIGNED_OUT_PREFIX + sid))


def _is_fresh_token(minted: Any, most: int) -> bool:
    try:
        return 0 <= time.time() - float(minted) <= most
    except (TypeError, ValueError):
        return False


def stamp_session(session: Any, now: float) -> None:
    """Start a new session: a new id, its start and last use now."""
    session[SESSION_ID] = secrets.token_urlsafe(12)
    session[STARTED] = int(now)
    session[SEEN] = int(now)


#: Session key: the person (Person row id) whose launches the session holds.
PERSON = "_person"


def start_new_session(person_id: int | None) -> None:
    """A launch from the LMS starts a new session (a new id and a new working day).

    The courses this browser launched into before are kept when the same person launches (a
    teacher with two course tabs). When another person launches in this browser (a school's
    shared iPad or Chromebook: the next student signs in to the LMS), nothing of the last
    person's session is kept: their other courses stayed open to whoever used the browser next
    (in its history, as them), and so did their flashes and half-done deep linking.
    """
    from flask import session

    if session.get(PERSON) != person_id:
        session.clear()
        session[PERSON] = person_id
    stamp_session(session, time.time())


def end_session(app: Flask) -> None:
    """Sign out: forget the session here and refuse its URL tokens until they would expire."""
    from flask import session

    sid = session.get(SESSION_ID)
    if isinstance(sid, str):
        app.extensions["lti_pl"].store.set(
            SIGNED_OUT_PREFIX + sid, 1, session_limits(app).most + 60
        )
    session.clear()


URL_SESSION_FLAG = "lti_pl.session_in_url"


def is_url_session() -> bool:
    """Whether this request keeps its session in the URL instead of a cookie."""
    return bool(flask_request.environ.get(URL_SESSION_FLAG))


def use_url_session() -> None:
    """Switch this request (and the links it renders) to a URL session."""
    flask_request.environ[URL_SESSION_FLAG] = True


def session_token(app: Flask, data: dict[str, Any]) -> str:
    """The signed form of a session, for URL sessions."""
    if data and STARTED not in data:
        stamp_session(data, time.time())
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps({**data, MINTED: int(time.time())}))


def url_session_field() -> Markup:
    """A GET form's hidden session field in a URL session (nothing otherwise).

    Submitting a GET form replaces its action's query string with the form's fields, so the
    session the action URL carries would be dropped: every `<form method="get">` has this.
    """
    from flask import current_app, session

    if not is_url_session():
        return Markup("")
    token = session_token(current_app, dict(session))
    return Markup('<input type="hidden" name="{}" value="{}">').format(SESSION_PARAM, token)


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

    from lti_pl.web import admin, instructor, lti, metrics, student

    app.session_interface = CookieOrUrlSessionInterface()
    app.request_class = BrowserRequest
    app.url_map.converters["int"] = RowIdConverter  # before the blueprints' rules are added
    app.config.setdefault("SESSION_COOKIE_PARTITIONED", True)
    for blueprint in (lti.bp, instructor.bp, student.bp, admin.bp, metrics.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    app.add_template_global(inline_kind)
    app.add_template_global(url_session_field)
    app.add_template_global(HEIC_ADVICE, "heic_advice")  # a file field's own hint (page.js)
    app.before_request(refuse_nul_characters)
    register_assets(app)
    # Registered first, so it runs last: the once check keeps the redirect itself.
    app.after_request(answer_a_sent_upload_with_its_next_page)
    register_once(app)  # before the commit hook: a repeat is answered only from a committed save

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
        """Services flush; the request commits what it wrote. On errors nothing is kept.

        A request that only read has nothing to commit: the teardown removes its session, which
        ends its read transaction without a COMMIT or expiring every row it read first.
        """
        if response.status_code >= 400:
            db.session.rollback()
        elif has_writes_to_commit():
            db.session.commit()
        return response

    @app.after_request
    def _security_headers(response: Response) -> Response:
        set_security_headers(app, response)
        return response

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        ping()
        return {"status": "ok"}, 200

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from lti_pl.web.access import current_enrollment_or_none

        return {
            "session_param": SESSION_PARAM,
            "current_enrollment_or_none": current_enrollment_or_none,
        }

    del healthz, _globals, _carry_url_session, _commit_unless_error, _security_headers


#: The header page.js sends with a form it uploads itself (to show the upload's progress).
UPLOAD_HEADER = "X-Lti-Pl-Upload"


def answer_a_sent_upload_with_its_next_page(response: Response) -> Response:
    """A form that page.js uploaded itself gets its redirect as `{"location": URL}`, status 200.

    A script's request follows a redirect by itself and fetches the next page unseen, using up
    the page's one-time message ("Evidence submitted"); given the address, the page goes there
    as a browser would after a plain form. Any other answer (a form sent back with what to fix,
    an error page) is left as it is: the script draws it. The object is changed in place, so the
    headers set before (security, cookies) stay.
    """
    if flask_request.headers.get(UPLOAD_HEADER) and response.status_code in (302, 303):
        location = response.location
        response.status_code = 200
        del response.headers["Location"]
        response.mimetype = "application/json"
        response.set_data(json.dumps({"location": location}))
    return response


#: Browser features the tool never uses, switched off for its pages and anything they embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
FORM_ACTION_FLAG = "lti_pl.form_action"


def allow_form_action(url: str) -> None:
    """Let this response's page post a form to `url` (a platform's deep-link return URL)."""
    origin = _origin(url)
    if origin:
        flask_request.environ.setdefault(FORM_ACTION_FLAG, []).append(origin)


def set_security_headers(app: Flask, response: Response) -> None:
    """CSP (frame-ancestors of the page's platform, form-action), HSTS over TLS and more."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if "Cache-Control" not in response.headers:
        # A page holds a person's work: never stored, so Back on a shared iPad (the next student
        # signed in) asks the tool, which answers for who is signed in now, instead of the cache
        # showing the last student's page. Files and static assets set their own.
        response.headers["Cache-Control"] = "no-store"
    hsts = int(app.config.get("LTI_PL_HSTS_SECONDS", 31536000) or 0)
    if flask_request.is_secure and hsts > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    if "Content-Security-Policy" in response.headers:
        return
    if 300 <= response.status_code < 400 or response.mimetype != "text/html":
        # Not a page a browser frames: skip the lookup (a launch's redirect stays one query).
        ancestors = ["'self'"]
    else:
        ancestors = ["'self'", *frame_ancestors(app)]
    form_action = " ".join(["'self'", *flask_request.environ.get(FORM_ACTION_FLAG, [])])
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        f"script-src 'self'; form-action {form_action}; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {' '.join(ancestors)}"
    )


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return ""


def frame_ancestors(app: Flask) -> list[str]:
    """Origins allowed to frame this page.

    A page of a course allows only the origins of that course's platform; other pages (the
    launch's own pages, the configuration page) those of every registered platform.
    """
    origins = app.extensions.get("lti_pl_frame_ancestors")
    if origins is None:
        # A change seen here also drops the launch's registration cache (30 s otherwise).
        origins = PlatformOrigins(
            on_change=app.extensions["lti_pl"].registrations.clear,
            course_recheck_seconds=float(app.config.get("LTI_PL_ORIGINS_RECHECK_SECONDS", 1.0)),
        )
        app.extensions["lti_pl_frame_ancestors"] = origins
    course_id = (flask_request.view_args or {}).get("course_id")
    if isinstance(course_id, int):
        return origins.for_course(course_id)
    return origins.everywhere()


class PlatformOrigins:
    """The registered platforms' origins, per platform, reloaded when the registrations change.

    The registrations' version (how many platforms, the latest change) is one cheap query, so a
    `lti-pl platforms import` in another process is seen without a cache to expire: by the next
    page outside a course at once (where an admin looks for a new platform), and by a course's
    page within `course_recheck_seconds` (a course's own platform moving its URLs is rare, and
    under a class's load the query would run on every page); a course of a platform not seen yet
    reads it at once.
    """

    def __init__(
        self,
        on_change: Any = None,
        course_recheck_seconds: float = 0.0,
        clock: Any = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._on_change = on_change
        self._recheck = course_recheck_seconds
        self._clock = clock
        self._checked_at = 0.0
        self._version: tuple[Any, ...] | None = None
        self._by_platform: dict[int, list[str]] = {}
        self._platform_of_course: dict[int, int | None] = {}

    def _current(self, *, recheck: float = 0.0) -> dict[int, list[str]]:
        """The origins, with the version read again unless it was read less than `recheck` s ago."""
        from lti_pl.services import platforms

        now = self._clock()
        with self._lock:
            if self._version is not None and recheck > 0 and now - self._checked_at < recheck:
                return self._by_platform
        version = platforms.registrations_version()
        with self._lock:
            self._checked_at = now
            if version == self._version:
                return self._by_platform
        by_platform: dict[int, list[str]] = {}
        for platform_id, issuer, login in platforms.platform_addresses():
            found = {_origin(url) for url in (issuer, login)} - {""}
            by_platform[platform_id] = sorted(found)
        with self._lock:
            changed = self._version is not None
            self._version, self._by_platform = version, by_platform
        if changed and self._on_change is not None:
            self._on_change()
        return by_platform

    def everywhere(self) -> list[str]:
        """Every registered platform's origins."""
        return sorted({o for found in self._current().values() for o in found})

    def for_course(self, course_id: int) -> list[str]:
        """The origins of the course's platform (none for an unknown course)."""
        from lti_pl.services import platforms

        by_platform = self._current(recheck=self._recheck)
        with self._lock:
            known = course_id in self._platform_of_course
            platform_id = self._platform_of_course.get(course_id)
        if not known:
            platform_id = platforms.platform_of_course(course_id)
            with self._lock:
                if len(self._platform_of_course) > 50_000:
                    self._platform_of_course.clear()
                if platform_id is not None:  # a course never moves to another platform
                    self._platform_of_course[course_id] = platform_id
        if platform_id is None:
            return []
        if platform_id not in by_platform:
            # A platform registered since the last read: read now, or its LMS could not frame
            # the first page of its course for up to a second (the browser shows nothing).
            by_platform = self._current()
        return list(by_platform.get(platform_id, []))
