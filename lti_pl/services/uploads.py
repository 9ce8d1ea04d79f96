"""Uploaded files on disk: random names, size limits, types from the name and checked content.

A browser's declared content type is not trusted: the type comes from the file's extension,
must be allowed, and must match the file's first bytes where the format has a signature. The
file is stored under a random name (never the user's), and is later served back as an
attachment with the stored type, so an upload can never run as a page of the tool.

Disk follows the database: a file written during a transaction is removed again unless that
transaction commits, and a file a deleted (or changed) row named is deleted only once the
transaction commits. Services only flush, and the request (or command) that commits may still
fail after them; deleting at once would lose a file whose row the rollback brings back, and
keeping a new file would leave one no row names. The session hooks below do this for every
SQLAlchemy session (the request's, a command's, a test's), keyed on the transaction the file
waits on, so a rolled-back savepoint undoes its own files only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from lti_pl.domain.errors import InvalidInputError, NotFoundError
from lti_pl.extensions import db

logger = logging.getLogger(__name__)

#: Extension to content type of every file type students may upload.
ALLOWED_EXTENSIONS: Mapping[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "mov": "video/quicktime",  # what an iPad or iPhone camera hands over, through Safari too
    "webm": "video/webm",  # a Chromebook's screen recorder, a browser's own recording
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ALLOWED_TYPES = frozenset(ALLOWED_EXTENSIONS.values())
#: An iPhone's or iPad's own photo format: most school computers cannot open it, and the iPad
#: sends a JPEG anyway when the photo is picked from Photos; one from Files comes as HEIC.
HEIC_EXTENSIONS = (".heic", ".heif")
HEIC_ADVICE = (
    "HEIC photos do not open on most school computers: choose the photo from Photos (the iPad "
    "sends it as a JPEG), or save it as a JPEG first."
)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded file as the web layer hands it over.

    Attributes:
        filename: the name the browser sent.
        stream: the file's bytes.
    """

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class UploadLimits:
    """Where uploads go and what they may be (from the app config, passed in by the view).

    Attributes:
        folder: the upload folder (LTI_PL_UPLOAD_FOLDER).
        max_bytes: the largest file (LTI_PL_MAX_UPLOAD_BYTES).
        allowed_types: accepted content types.
        student_quota_bytes: LTI_PL_STUDENT_QUOTA_MB in bytes.
        course_quota_bytes: LTI_PL_COURSE_QUOTA_MB in bytes.
    """

    folder: str
    max_bytes: int
    allowed_types: frozenset[str] = ALLOWED_TYPES
    student_quota_bytes: int = 0  # files one student keeps in a course (0: no quota)
    course_quota_bytes: int = 0  # files of all students of a course (0: no quota)


@dataclass(frozen=True)
class DownloadFile:
    """A stored file ready to serve as an attachment.

    Attributes:
        path: where it is on disk.
        content_type: the stored, checked type.
        download_name: the safe name to offer.
    """

    path: Path
    content_type: str
    download_name: str


@dataclass(frozen=True)
class StoredFile:
    """A file written to the upload folder.

    Attributes:
        stored_name: the random name on disk.
        content_type: the type from the extension, checked against the content.
        size: bytes written.
    """

    stored_name: str
    content_type: str
    size: int


def content_type_for(filename: str) -> str:
    """The content type for a file name's extension ("" if not allowed)."""
    _, dot, extension = filename.rpartition(".")
    return ALLOWED_EXTENSIONS.get(extension.lower(), "") if dot else ""


def _matches(content_type: str, head: bytes) -> bool:
    """Whether the first bytes fit the type (types without a signature always fit)."""
    signatures: dict[str, tuple[bytes, ...]] = {
        "application/pdf": (b"%PDF-",),
        "image/png": (b"\x89PNG\r\n\x1a\n",),
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/gif": (b"GIF87a", b"GIF89a"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
            b"PK\x03\x04",
        ),
    }
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type in {"video/mp4", "audio/mp4"}:
        return head[4:8] == b"ftyp"
    if content_type == "video/quicktime":  # QuickTime atoms: today's files start with ftyp "qt  "
        return head[4:8] in {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"}
    if content_type == "video/webm":  # an EBML header (Matroska / WebM)
        return head[:4] == b"\x1a\x45\xdf\xa3"
    if content_type == "audio/mpeg":
        return head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if content_type == "text/plain":
        return b"\x00" not in head and not head.lstrip().lower().startswith(
            (b"<", b"\xef\xbb\xbf<")
        )
    return head.startswith(signatures.get(content_type, (b"",)))


def save_upload(
    incoming: IncomingFile, folder: str, *, max_bytes: int, allowed_types: frozenset[str]
) -> StoredFile:
    """Write an upload under a random name, enforcing the size limit and the type.

    The file is removed again if the current database transaction (or the savepoint it was
    written in) does not commit: a row naming it must be committed for it to stay.

    Raises:
        InvalidInputError: field "file": empty, too large, or a type not accepted.
    """
    content_type = content_type_for(incoming.filename)
    if incoming.filename.lower().endswith(HEIC_EXTENSIONS):
        raise InvalidInputError(HEIC_ADVICE, field="file")
    if not content_type or content_type not in allowed_types:
        accepted = sorted(ext for ext, kind in ALLOWED_EXTENSIONS.items() if kind in allowed_types)
        raise InvalidInputError(
            f"Files of this type are not accepted; upload one of: {', '.join(accepted)}.",
            field="file",
        )
    Path(folder).mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = Path(folder) / stored_name
    size = 0
    head = b""
    try:
        with open(path, "xb") as handle:
            while chunk := incoming.stream.read(CHUNK):
                if len(head) < 16:
                    head = (head + chunk)[:16]
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInputError(
                        f"That file is larger than the {max_bytes / 1024 / 1024:g} MB limit.",
                        field="file",
                    )
                handle.write(chunk)
        if size == 0:
            raise InvalidInputError("That file is empty; choose another.", field="file")
        if not _matches(content_type, head):
            raise InvalidInputError(
                "That file's content does not match its name; export it again and retry.",
                field="file",
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _wait_for_commit(path, is_new=True)
    return StoredFile(stored_name, content_type, size)


def stored_path(folder: str, stored_name: str) -> Path:
    """The path of a stored file; only our own random hex names are accepted.

    Raises:
        InvalidInputError: the name is not one we generate.
    """
    if len(stored_name) != 32 or any(c not in "0123456789abcdef" for c in stored_name):
        raise InvalidInputError("Not a stored file.")
    return Path(folder) / stored_name


def remove(folder: str, stored_name: str) -> None:
    """Delete a stored file now, if it exists: only for a file no row names (a refused upload).

    A file that committed rows name goes through `remove_after_commit`.
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stored_path(folder, stored_name))


def remove_after_commit(folder: str, stored_name: str) -> None:
    """Delete a stored file once the current database transaction commits.

    Call it when a row naming the file is deleted or changed; if the transaction rolls back
    (the row survives), the file stays.

    Raises:
        InvalidInputError: the name is not one we generate.
    """
    _wait_for_commit(stored_path(folder, stored_name), is_new=False)


@dataclass
class _PendingFile:
    """A file on disk whose fate waits on a database transaction.

    Attributes:
        path: the file.
        transaction: the innermost transaction (or savepoint) it waits on.
        is_new: written in that transaction (removed unless it commits); otherwise a file to
            delete once it commits.
    """

    path: Path
    transaction: SessionTransaction
    is_new: bool


#: session.info key of the session's pending files.
_PENDING_FILES = "lti_pl.pending_files"


def _wait_for_commit(path: Path, *, is_new: bool) -> None:
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING_FILES, []).append(_PendingFile(path, transaction, is_new))


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        # The transaction has ended either way; a file left behind is only disk space.
        logger.warning("stored file not deleted: %s", type(error).__name__)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    """A savepoint released hands its files to the enclosing transaction; a commit settles them."""
    pending: list[_PendingFile] = session.info.get(_PENDING_FILES, [])
    if not pending:
        return
    # after_commit runs before the committed transaction closes: it is still the innermost one.
    committed = session.get_nested_transaction() or session.get_transaction()
    parent = committed.parent if committed is not None else None
    waiting = []
    for item in pending:
        if item.transaction is not committed:
            waiting.append(item)
        elif parent is not None:
            item.transaction = parent
            waiting.append(item)
        elif not item.is_new:
            _unlink(item.path)
    session.info[_PENDING_FILES] = waiting


@event.listens_for(Session, "after_transaction_end")
def _files_after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends with files still waiting on it did not commit: undo them.

    That is a rollback, or a session closed (a request's teardown) without committing: the rows
    naming new files are gone, and rows whose files were to go are still there.
    """
    pending: list[_PendingFile] = session.info.get(_PENDING_FILES, [])
    if not pending:
        return
    waiting = []
    for item in pending:
        if item.transaction is not transaction:
            waiting.append(item)
        elif item.is_new:
            _unlink(item.path)
    session.info[_PENDING_FILES] = waiting


def download(folder: str, stored_name: str, content_type: str, filename: str) -> DownloadFile:
    """A stored file to serve, checked to exist on disk.

    Raises:
        NotFoundError: no stored name, or the file is gone.
    """
    if not stored_name:
        raise NotFoundError("There is no file here.")
    path = stored_path(folder, stored_name)
    if not path.is_file():
        raise NotFoundError("This file is no longer available.")
    return DownloadFile(path, content_type, filename or "download")
