"""Uploaded files follow the session's transactions: a file written in a transaction that does
not commit is removed, and a deletion happens only when the transaction commits. Savepoints
undo their own files and hand the rest to the enclosing transaction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lti_pl.domain.errors import InvalidInputError
from lti_pl.services import uploads


def write(folder: Path, content: bytes = b"plain notes") -> Path:
    stored = uploads.save_upload(
        uploads.IncomingFile("notes.txt", io.BytesIO(content)),
        str(folder),
        max_bytes=1024,
        allowed_types=uploads.ALLOWED_TYPES,
    )
    return folder / stored.stored_name


def committed_file(folder: Path, db_session) -> Path:
    path = write(folder)
    db_session.commit()
    return path


def test_a_file_written_in_a_transaction_that_rolls_back_is_removed(db_session, tmp_path):
    path = write(tmp_path)
    assert path.is_file()
    db_session.rollback()
    assert not path.exists()


def test_a_file_written_in_a_committed_transaction_stays(db_session, tmp_path):
    path = write(tmp_path)
    db_session.commit()
    db_session.rollback()  # a later transaction's rollback does not touch it
    assert path.read_bytes() == b"plain notes"


def test_a_session_closed_without_committing_removes_its_new_files(db_session, tmp_path):
    # A request's teardown closes the session: what was not committed is discarded.
    path = write(tmp_path)
    db_session.close()
    assert not path.exists()


def test_a_deletion_waits_for_the_commit(db_session, tmp_path):
    path = committed_file(tmp_path, db_session)

    uploads.remove_after_commit(str(tmp_path), path.name)
    assert path.is_file()
    db_session.rollback()
    assert path.is_file()
    db_session.commit()
    assert path.is_file()  # the rolled-back deletion is forgotten

    uploads.remove_after_commit(str(tmp_path), path.name)
    db_session.commit()
    assert not path.exists()


def test_a_rolled_back_savepoint_undoes_only_its_own_files(db_session, tmp_path):
    kept = committed_file(tmp_path, db_session)
    outer = write(tmp_path)
    savepoint = db_session.begin_nested()
    inner = write(tmp_path)
    uploads.remove_after_commit(str(tmp_path), kept.name)
    savepoint.rollback()

    assert not inner.exists()
    assert outer.is_file()
    db_session.commit()
    assert outer.is_file()
    assert kept.is_file()


def test_a_released_savepoint_hands_its_files_to_the_enclosing_transaction(db_session, tmp_path):
    kept = committed_file(tmp_path, db_session)
    with db_session.begin_nested():
        inner = write(tmp_path)
        uploads.remove_after_commit(str(tmp_path), kept.name)
    assert inner.is_file()
    assert kept.is_file()

    db_session.rollback()
    assert not inner.exists()
    assert kept.is_file()

    with db_session.begin_nested():
        uploads.remove_after_commit(str(tmp_path), kept.name)
    assert kept.is_file()
    db_session.commit()
    assert not kept.exists()


def test_a_refused_upload_leaves_nothing_to_commit(db_session, tmp_path):
    with pytest.raises(InvalidInputError):
        write(tmp_path, b"")
    db_session.commit()
    assert list(tmp_path.glob("*")) == []


def test_only_names_we_generate_can_be_scheduled_for_deletion(db_session, tmp_path):
    with pytest.raises(InvalidInputError):
        uploads.remove_after_commit(str(tmp_path), "../test.sqlite3")
