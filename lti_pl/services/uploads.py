"""Evidence files on disk: random names, size limits, types from the name and checked content.

A browser's declared content type is not trusted: the type comes from the file's extension,
must be allowed, and must match the file's first bytes where the format has a signature. The
file is stored under a random name (never the user's), and is later served back as an
attachment with the stored type, so an upload can never run as a page of the tool.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lti_pl.domain.errors import InvalidInputError, NotFoundError

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
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ALLOWED_TYPES = frozenset(ALLOWED_EXTENSIONS.values())
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
    """

    folder: str
    max_bytes: int
    allowed_types: frozenset[str] = ALLOWED_TYPES


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

    Raises:
        InvalidInputError: field "file": empty, too large, or a type not accepted.
    """
    content_type = content_type_for(incoming.filename)
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
    """Delete a stored file if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stored_path(folder, stored_name))


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
