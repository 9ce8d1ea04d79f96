"""SQLite's one writer: threads of a process queue on a lock, not in SQLite's sleeping busy handler.

A non-testing app on its own SQLite file (the shipped default): a write transaction holds the
process's write lock from BEGIN IMMEDIATE to its commit or rollback, and a second thread's write
begins only once the first has ended.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from lti_pl import create_app
from lti_pl.database import _write_lock
from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce


def _sqlite_app(tmp_path: Path, test_config: dict[str, Any]) -> Any:
    path = tmp_path / "writers.sqlite3"
    app = create_app(
        {**test_config, "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    with app.app_context():
        db.create_all()
    return app, str(path)


def _nonce(name: str) -> UsedNonce:
    return UsedNonce(
        issuer="https://lms.test", nonce=name, expires_at=datetime.now(UTC) + timedelta(hours=1)
    )


def test_a_write_holds_the_write_lock_until_it_commits_or_rolls_back(tmp_path, test_config):
    app, path = _sqlite_app(tmp_path, test_config)
    lock = _write_lock(path)
    with app.app_context():
        db.session.add(_nonce("a"))
        db.session.flush()  # BEGIN IMMEDIATE
        assert lock.locked()
        db.session.commit()
        assert not lock.locked()

        db.session.add(_nonce("b"))
        db.session.flush()
        assert lock.locked()
        db.session.rollback()
        assert not lock.locked()
        db.session.remove()


def test_a_second_writer_begins_after_the_first_commits(tmp_path, test_config):
    app, _path = _sqlite_app(tmp_path, test_config)
    events: list[str] = []
    guard = threading.Lock()

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn, _cursor, statement, _params, _context, _many):
        if statement.startswith("BEGIN"):
            with guard:
                events.append(f"{threading.current_thread().name} begins")

    @event.listens_for(engine, "commit")
    def _commit(_conn):
        with guard:
            events.append(f"{threading.current_thread().name} commits")

    def second() -> None:
        with app.app_context():
            db.session.add(_nonce("second"))
            db.session.commit()
            db.session.remove()

    with app.app_context():
        db.session.add(_nonce("first"))
        db.session.flush()
        thread = threading.Thread(target=second, name="second")
        thread.start()
        # Give the second thread every chance to reach its BEGIN: it must wait for the lock.
        thread.join(timeout=0.5)
        assert thread.is_alive()
        db.session.commit()
        db.session.remove()
    thread.join(timeout=30)
    assert not thread.is_alive()
    main = threading.current_thread().name
    assert events == [f"{main} begins", f"{main} commits", "second begins", "second commits"]
    with app.app_context():
        assert {n.nonce for n in db.session.query(UsedNonce)} == {"first", "second"}
        db.session.remove()
