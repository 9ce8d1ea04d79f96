"""Stored uploads sent back as attachments: the stored type, never sniffed or rendered."""

from __future__ import annotations

from flask import send_file
from flask.typing import ResponseReturnValue

from lti_pl.services.uploads import DownloadFile


def send_attachment(found: DownloadFile) -> ResponseReturnValue:
    """Send a stored file as a download with its stored type (never rendered as a page)."""
    response = send_file(
        found.path,
        mimetype=found.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=found.download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
