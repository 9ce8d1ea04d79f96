"""Stored uploads sent back as attachments: the stored type, never sniffed or rendered.

The one exception is evidence shown in its page (`send_inline`): a raster image in an <img>, a
video or a recording in a <video> / <audio> (INLINE_TYPES: the type was checked against the
file's first bytes at upload), never SVG, HTML or anything that can run script; still nosniff
and a sandboxing CSP. A teacher watches a student's video explanation where they assess it,
instead of downloading it first (on a school Chromebook or iPad, a download is a detour).
"""

from __future__ import annotations

from flask import Response, send_file
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import NotFoundError
from lti_pl.services.uploads import DownloadFile

#: The only types shown in the page, with the element that shows them: raster images and
#: media a browser's decoder plays; none can carry script.
INLINE_TYPES: dict[str, str] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
}


def inline_kind(content_type: str | None) -> str:
    """How a stored file is shown in its page: "image", "video", "audio", or "" (download it)."""
    return INLINE_TYPES.get(content_type or "", "")


def send_attachment(found: DownloadFile) -> ResponseReturnValue:
    """Send a stored file as a download with its stored type (never rendered as a page)."""
    return _send(found, found.content_type or "application/octet-stream", as_attachment=True)


def send_inline(found: DownloadFile) -> ResponseReturnValue:
    """Send a stored image, video or recording to show in the page (`Content-Disposition: inline`).

    Byte ranges are answered (send_file's conditional response): Safari plays no video without.

    Raises:
        NotFoundError: the file is not one of INLINE_TYPES (download it instead).
    """
    if not inline_kind(found.content_type):
        raise NotFoundError("This file cannot be shown here; download it.")
    response = _send(found, found.content_type, as_attachment=False)
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _send(found: DownloadFile, mimetype: str, *, as_attachment: bool) -> Response:
    """The file, never cached, never sniffed, and sandboxed should a browser render it."""
    response = send_file(
        found.path,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=found.download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
