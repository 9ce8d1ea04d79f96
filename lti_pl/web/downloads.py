"""Stored uploads sent back as attachments: the stored type, never sniffed or rendered.

The one exception is a raster image shown inline on an evidence page (`send_inline_image`):
PNG, JPEG, GIF or WebP only (the type was checked against the file's first bytes at upload),
never SVG or anything that can run script; still nosniff and a sandboxing CSP.
"""

from __future__ import annotations

from flask import Response, send_file
from flask.typing import ResponseReturnValue

from lti_pl.domain.errors import NotFoundError
from lti_pl.services.uploads import DownloadFile

#: The only types shown inline (in an <img>): raster images that cannot carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def send_attachment(found: DownloadFile) -> ResponseReturnValue:
    """Send a stored file as a download with its stored type (never rendered as a page)."""
    return _send(found, found.content_type or "application/octet-stream", as_attachment=True)


def send_inline_image(found: DownloadFile) -> ResponseReturnValue:
    """Send a stored raster image to show in the page (`Content-Disposition: inline`).

    Raises:
        NotFoundError: the file is not one of INLINE_IMAGE_TYPES (download it instead).
    """
    if found.content_type not in INLINE_IMAGE_TYPES:
        raise NotFoundError("This file is not an image that can be shown here; download it.")
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
