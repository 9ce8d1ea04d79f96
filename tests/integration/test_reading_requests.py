"""GET requests read only: under TESTING a write in one not declared as writing fails loudly.

On SQLite a reading request begins DEFERRED (see lti_pl.database.tune_sqlite);
a write in it would fail with "database is locked" under concurrent load only. The guard makes
every GET the suite requests prove it does not write.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import has_request_context, request
from sqlalchemy import event

from lti_pl import WRITING_GET_ENDPOINTS, WriteInReadingRequestError
from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce
from tests.conftest import HttpsClient
from tests.support.grades import emulator_for, scratch_app, scratch_database, tool_environment


def _add_writing_route(app, rule: str, endpoint: str) -> None:
    def writes() -> str:
        db.session.add(UsedNonce(issuer="x", nonce=endpoint, expires_at=datetime.now(UTC)))
        db.session.flush()
        return "wrote"

    app.add_url_rule(rule, endpoint, writes, methods=["GET", "POST"])


def test_a_get_that_writes_is_refused(app, client):
    _add_writing_route(app, "/__writes", "writes_on_get")
    with pytest.raises(WriteInReadingRequestError, match="writes_on_get"):
        client.get("/__writes")


def test_the_same_write_in_a_post_is_fine(app, client):
    _add_writing_route(app, "/__writes", "writes_on_post")
    assert client.post("/__writes").get_data(as_text=True) == "wrote"


def test_declared_writing_gets_may_write(app, client):
    assert "lti.jwks" in WRITING_GET_ENDPOINTS
    response = client.get("/lti/jwks.json")  # the first request creates the signing key
    assert response.status_code == 200
    assert response.get_json()["keys"]


def test_a_request_that_only_read_commits_nothing(app, platform, client):
    """A course page's commit cost a tenth of its server time for nothing (it wrote nothing)."""
    from sqlalchemy.orm import Session

    from tests.support.choice_builders import launch

    course_id = launch(platform, client, "Learner", "student-1")
    commits: list[str] = []

    def note(_session: Any) -> None:
        commits.append(request.path if has_request_context() else "-")

    event.listen(Session, "after_commit", note)
    try:
        assert client.get(f"/courses/{course_id}/learn/").status_code == 200
        assert client.get(f"/courses/{course_id}/learn/targets").status_code == 200
        # A POST that writes still commits (its goal: saved, then read back on the next page).
        assert client.post(
            f"/courses/{course_id}/learn/profile", data={"interests": "chess"}
        ).status_code in (200, 303)
    finally:
        event.remove(Session, "after_commit", note)
    assert commits == [f"/courses/{course_id}/learn/profile"], commits  # before: three


def test_a_write_sent_as_a_statement_alone_is_committed(app, client):
    """No ORM row is pending after a statement like the launch's upserts: the request's own
    record of what it sent decides, so the row is kept (here: still there after the request)."""
    from sqlalchemy import select

    from lti_pl.database import UPSERT_DIALECTS, insert_unless_exists, insert_values

    table = UsedNonce.__table__

    def writes() -> str:
        if db.session.get_bind().dialect.name in UPSERT_DIALECTS:
            values = {"issuer": "x", "nonce": "statement", "expires_at": datetime.now(UTC)}
            db.session.execute(insert_unless_exists(table), insert_values(table, values))
        else:
            db.session.execute(
                table.insert().values(issuer="x", nonce="statement", expires_at=datetime.now(UTC))
            )
        assert not db.session.new
        assert not db.session.dirty
        return "wrote"

    app.add_url_rule("/__statement", "writes_a_statement", writes, methods=["POST"])
    assert client.post("/__statement").get_data(as_text=True) == "wrote"
    kept = db.session.scalars(select(UsedNonce.nonce).where(UsedNonce.issuer == "x")).all()
    assert kept == ["statement"]


def on_postgresql() -> bool:
    return os.environ.get("LTI_PL_TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.mark.skipif(
    not on_postgresql(),
    reason="PostgreSQL's autocommit reads; runs in the PostgreSQL pass of .ci/run (on SQLite a "
    "reading request begins DEFERRED instead: test_sqlite_writers)",
)
def test_on_postgresql_a_course_page_reads_without_a_transaction(tmp_path):
    """A student's course home: no BEGIN/COMMIT round trips; the launch that wrote kept its
    transaction, and the pooled connection is back in transactions for the next writer."""
    with scratch_database(tmp_path) as url:
        app = scratch_app(tool_environment(url, tmp_path / "instance"))
        app.test_client_class = HttpsClient
        emulator = emulator_for(app)
        seen: list[tuple[str, bool]] = []

        def record(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
            if has_request_context():
                seen.append((request.method, conn.connection.dbapi_connection.autocommit))

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            client = app.test_client()
            launch = emulator.launch(client, role="Learner", user_id="student-1")
            home = launch.headers.get("Content-Location") or launch.headers["Location"]
            in_launch = [autocommit for method, autocommit in seen if method == "POST"]
            seen.clear()
            assert client.get(home).status_code == 200
            in_page = [autocommit for method, autocommit in seen if method == "GET"]

            assert in_launch
            assert not any(in_launch), in_launch
            assert in_page
            assert all(in_page), in_page
            # Every pooled connection (the page's among them) is back in transactions when a
            # writer takes it.
            idle = engine.pool.checkedin()
            assert idle >= 1
            with contextlib.ExitStack() as stack:
                taken = [stack.enter_context(engine.connect()) for _ in range(idle)]
                assert [c.connection.dbapi_connection.autocommit for c in taken] == [False] * idle
        finally:
            event.remove(engine, "before_cursor_execute", record)
            emulator.stop()
            with app.app_context():
                db.engine.dispose()
