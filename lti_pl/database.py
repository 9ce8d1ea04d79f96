"""Engine options and SQLite tuning for the app's database (the app factory calls these).

SQLite gets WAL, NORMAL sync, a busy timeout and SQLAlchemy-emitted BEGIN (so SAVEPOINTs work);
a request that only reads begins DEFERRED, everything else IMMEDIATE. Under test (or with
LTI_PL_REFUSE_GET_WRITES) a reading request that writes raises. On PostgreSQL a reading request
runs without a transaction (`read_without_transactions`).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from contextvars import ContextVar
from typing import Any

from flask import Flask
from sqlalchemy import Table, bindparam, event, text


def engine_options(uri: str) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS for a database URI.

    hide_parameters: SQL logged at INFO (an operator's root logger) never shows bound values,
    such as a private key being inserted by `lti-pl keys rotate`. pool_size: POOL_SIZE.
    """
    if uri.startswith("sqlite"):
        return {
            "connect_args": {"timeout": 30, "factory": SerializedWriterConnection},
            "hide_parameters": True,
            "pool_size": POOL_SIZE,
        }
    return {"pool_pre_ping": True, "hide_parameters": True, "pool_size": POOL_SIZE}


#: Connections a process keeps open: more than `lti-pl serve`'s threads (SERVE_THREADS), for the
#: grade worker's thread and the after-request jobs. With SQLAlchemy's default of 5 a worker of 8
#: threads under load opened and closed a connection for each request beyond the fifth: 80 new
#: PostgreSQL sessions (a backend forked and authenticated each time) in 1,200 page views.
POOL_SIZE = 12
#: `lti-pl serve --threads` by default.
SERVE_THREADS = 8


#: How long a thread waits for this process's other writer before leaving it to SQLite's own
#: busy timeout (which also covers other processes: a CLI command, a second worker).
WRITE_LOCK_WAIT = 30.0
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(database: str) -> threading.Lock:
    if database == ":memory:" or "mode=memory" in database:
        return threading.Lock()  # each connection is a database of its own
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(database, threading.Lock())


class SerializedWriterConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions queue on one lock per database file.

    SQLite lets one transaction write at a time. A second BEGIN IMMEDIATE waits in SQLite's
    busy handler, which sleeps in steps of up to 100 ms and so wakes long after the writer
    committed: at 4 concurrent launches that was most of the launch's p95. Threads of this
    process wait on a Python lock instead, and the next one starts the moment the writer
    commits or rolls back. (`lti-pl serve` on SQLite is one process of several threads.)
    """

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._write_lock = _write_lock(str(database))
        self._holds_write_lock = False

    def take_write_lock(self) -> None:
        """Wait until this process's current writer (if any) has finished; call before BEGIN."""
        if not self._holds_write_lock:
            self._holds_write_lock = self._write_lock.acquire(timeout=WRITE_LOCK_WAIT)

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self.release_write_lock()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self.release_write_lock()

    def close(self) -> None:
        """Close (a pool discarding the connection), then let the next writer in."""
        try:
            super().close()
        finally:
            self.release_write_lock()

    def release_write_lock(self) -> None:
        """Let the next writer in (the transaction ended, or never began)."""
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._write_lock.release()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's pysqlite recipe: let SQLAlchemy emit BEGIN so SAVEPOINTs work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: no fsync per commit, still never corrupt (a power cut may lose the
    # last commits, not the database); several times faster launches.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def tune_sqlite(app: Flask) -> None:
    """Pragmas on every connection, and the BEGIN each transaction starts with."""
    from lti_pl.extensions import db

    with app.app_context():
        engine = db.engine
        event.listen(engine, "connect", _sqlite_pragmas)

        # IMMEDIATE: a transaction that read and then writes while another thread committed
        # fails at once with "database is locked" (WAL snapshot) instead of waiting; taking
        # the write lock up front makes concurrent requests wait for busy_timeout instead.
        # Reading requests (GET, HEAD, OPTIONS) begin DEFERRED, so they do not queue behind
        # writers or each other; CLI commands and workers (no request) stay IMMEDIATE.
        # Tests keep deferred BEGIN: their rolled-back outer transaction would block the
        # other connections they open.
        if not app.testing:
            _begin_deferred_for_reading_requests(app)

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            statement = "BEGIN" if app.testing or _reads_only() else _sqlite_begin.get()
            raw = connection.connection.dbapi_connection
            serialized = statement == "BEGIN IMMEDIATE" and isinstance(
                raw, SerializedWriterConnection
            )
            if serialized:
                raw.take_write_lock()
            try:
                connection.exec_driver_sql(statement)
            except BaseException:
                if serialized:
                    raw.release_write_lock()
                raise


def read_without_transactions(app: Flask) -> None:
    """PostgreSQL: a reading request's statements run in autocommit, with no BEGIN or COMMIT.

    Under READ COMMITTED (PostgreSQL's default, and ours) every statement reads its own snapshot
    even inside a transaction, so a reading request's transaction bought nothing but two round
    trips: BEGIN before its first statement and COMMIT after its last (of 7 per course page,
    the session's Redis read included). A connection checked out during a reading request is put
    in autocommit, and any other checkout puts it back in transactions: requests that write (POST,
    and the GETs in WRITING_GET_ENDPOINTS) and work outside requests keep their transactions.
    """
    from flask import has_request_context

    from lti_pl.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def _autocommit_when_reading(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # Set on every checkout, both ways: a connection a reading request left in autocommit is
        # back in transactions for the next writer. (The pool has just pinged it: it is alive and
        # idle, so the switch sends nothing to the server.)
        reading = has_request_context() and is_reading_request()
        if dbapi_connection.autocommit != reading:
            dbapi_connection.autocommit = reading

    del _autocommit_when_reading


def _reads_only() -> bool:
    """Whether the current request said it reads only from here on (`end_writes`)."""
    from flask import has_request_context, request

    return has_request_context() and bool(request.environ.get(READS_ONLY_KEY))


def guard_reading_requests(app: Flask) -> None:
    """Under test, or with LTI_PL_REFUSE_GET_WRITES, a GET that writes raises."""
    from lti_pl.extensions import db

    if app.testing or app.config.get("LTI_PL_REFUSE_GET_WRITES"):
        # Every GET the suite requests proves it reads only (or is in WRITING_GET_ENDPOINTS);
        # the browser tests' live server (not TESTING) turns it on with LTI_PL_REFUSE_GET_WRITES.
        with app.app_context():
            _refuse_writes_in_reading_requests(db.engine)


# The SQLite BEGIN of the current request (see tune_sqlite); IMMEDIATE outside requests.
_sqlite_begin: ContextVar[str] = ContextVar("lti_pl_sqlite_begin", default="BEGIN IMMEDIATE")
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# GET endpoints that write (the first signing key; a dynamic registration): they begin IMMEDIATE.
WRITING_GET_ENDPOINTS = frozenset({"lti.jwks", "lti.register"})
# Set in a request's WSGI environ by end_writes(): from there on it reads only.
READS_ONLY_KEY = "lti_pl.reads_only"


def is_reading_request() -> bool:
    """Whether this request reads only: a GET, HEAD or OPTIONS not in WRITING_GET_ENDPOINTS."""
    from flask import request

    return request.method in READING_METHODS and request.endpoint not in WRITING_GET_ENDPOINTS


def _begin_deferred_for_reading_requests(app: Flask) -> None:
    @app.before_request
    def _choose_sqlite_begin() -> None:
        _sqlite_begin.set("BEGIN" if is_reading_request() else "BEGIN IMMEDIATE")

    @app.teardown_request
    def _reset_sqlite_begin(_error: BaseException | None) -> None:
        # gunicorn threads serve many requests: the next one (or a job) starts IMMEDIATE again.
        _sqlite_begin.set("BEGIN IMMEDIATE")

    del _choose_sqlite_begin, _reset_sqlite_begin


#: Set in a request's WSGI environ once it sent a statement that may write (see track_writes).
WROTE_KEY = "lti_pl.wrote"
#: How statements that write no rows begin: a request that sent only these has nothing to commit.
_WRITES_NOTHING = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "PRAGMA")


def track_writes(app: Flask) -> None:
    """Mark the request that sends any statement but a read: only such a request commits.

    A course page reads only, and the commit that ended its request cost a tenth of its server
    time in SQLAlchemy for nothing. Anything not known to write nothing counts as a write (a
    `WITH ... INSERT`, DDL, a statement of a dialect we do not know), as do the ORM's pending
    rows (`has_writes_to_commit`): a missed write would be lost, a needless commit only costs.
    """
    from flask import has_request_context, request

    from lti_pl.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if has_request_context() and not statement.lstrip()[:9].upper().startswith(_WRITES_NOTHING):
            request.environ[WROTE_KEY] = True

    del _mark


def has_writes_to_commit() -> bool:
    """Whether this request wrote (or holds ORM rows it would write) since its last commit."""
    from flask import request

    from lti_pl.extensions import db

    session = db.session
    return bool(request.environ.get(WROTE_KEY) or session.new or session.dirty or session.deleted)


class WriteInReadingRequestError(RuntimeError):
    """A GET wrote to the database without being listed in WRITING_GET_ENDPOINTS."""


def _refuse_writes_in_reading_requests(engine: Any) -> None:
    """A write during a GET/HEAD/OPTIONS not in WRITING_GET_ENDPOINTS raises (tests only).

    On SQLite such a request begins DEFERRED: a write there fails with "database is locked" as
    soon as another request committed in between, which tests alone would rarely show.
    """
    from flask import has_request_context, request

    @event.listens_for(engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if (
            has_request_context()
            and (is_reading_request() or request.environ.get(READS_ONLY_KEY, False))
            and statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}
        ):
            raise WriteInReadingRequestError(
                f"{request.method} {request.endpoint} writes ({statement[:60]!r}); "
                "add it to WRITING_GET_ENDPOINTS or move the write to a POST"
            )


def end_writes() -> None:
    """Commit the request's writes now: the rest of it reads only, holding no write lock.

    On SQLite the next transaction begins DEFERRED, so other requests' writers need not wait
    for this one; under test (and LTI_PL_REFUSE_GET_WRITES) a write from here on raises.
    """
    from flask import request

    from lti_pl.extensions import db

    # The rows this request wrote or read stay loaded (not expired, as a commit does by default):
    # the page rendered next shows them as committed a moment ago, without reading them again.
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    request.environ[WROTE_KEY] = False
    # Kept in this request's environ: a context variable or `g` would outlive the request.
    request.environ[READS_ONLY_KEY] = True


def ping() -> None:
    """One round trip to the database (the health check): raises when it cannot answer."""
    from lti_pl.extensions import db

    db.session.execute(text("SELECT 1"))


#: Where `insert_unless_exists` works: both say "insert unless the unique key exists" alike.
UPSERT_DIALECTS = frozenset({"sqlite", "postgresql"})


@functools.cache
def insert_unless_exists(table: Table) -> Any:
    """`INSERT INTO table (every column but the key) ... ON CONFLICT DO NOTHING RETURNING *`.

    Built once per table. One statement instead of a savepoint, an insert and a release: a
    returned row is the new row, none says the unique key exists already (a concurrent insert;
    PostgreSQL waits for it to commit or roll back first). A typed text() rather than the
    dialects' insert().on_conflict_do_nothing(): those carry no cache key, so SQLAlchemy would
    compile the statement again on every call. Only on UPSERT_DIALECTS; run it with
    `insert_values(table, ...)`.
    """
    columns = [c for c in table.columns if not c.primary_key]
    names = ", ".join(c.name for c in columns)
    values = ", ".join(f":{c.name}" for c in columns)
    returning = ", ".join(c.name for c in table.columns)
    return (
        text(
            f"INSERT INTO {table.name} ({names}) VALUES ({values}) "  # noqa: S608 - our names
            f"ON CONFLICT DO NOTHING RETURNING {returning}"
        )
        .bindparams(*(bindparam(c.name, type_=c.type) for c in columns))
        .columns(*table.columns)
    )


def insert_values(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` for `insert_unless_exists(table)`, every other column as an ORM insert has it.

    That is the model's default (a value, or a function called now), else NULL.
    """
    row = {}
    for column in table.columns:
        if column.primary_key:
            continue
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.default is not None and column.default.is_callable:
            row[column.name] = column.default.arg(None)  # type: ignore[attr-defined]
        elif column.default is not None and column.default.is_scalar:
            row[column.name] = column.default.arg  # type: ignore[attr-defined]
        else:
            row[column.name] = None
    return row
