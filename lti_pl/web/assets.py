"""Stylesheets and scripts under a versioned URL, kept by the browser until the file changes.

Every page links its assets through `url_for("static", ...)`, which adds the file's version:
`/static/app.css?v=<the first 12 hex digits of its SHA-256>`. A request that names the file's
current version is answered `public, max-age=<a year>, immutable`: the browser asks once per
release. They were `no-cache`, so every page view sent a conditional request for each
stylesheet and script and waited for the 304 before it drew the page: one more round trip on
every page, 50–150 ms on a school's Wi-Fi behind its filter. A request without a version, or
with an old one (a page cached before a release), is answered `no-cache` as before, so it is
never kept longer than the file is.

A version is read once per file and process (a release restarts the workers).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, request

#: How long a versioned asset is kept (a year: the longest RFC 9111 caches are asked to keep).
VERSIONED_MAX_AGE = 365 * 24 * 3600
VERSION_PARAM = "v"


class AssetVersions:
    """The version of each file in one static folder, read once."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._versions: dict[str, str | None] = {}

    def of(self, filename: str) -> str | None:
        """The file's version, or None for a name outside the folder or a missing file."""
        try:
            return self._versions[filename]
        except KeyError:
            pass
        path = os.path.realpath(os.path.join(self._folder, filename))
        version = None
        if path.startswith(os.path.realpath(self._folder) + os.sep) and os.path.isfile(path):
            with open(path, "rb") as file:
                version = hashlib.sha256(file.read()).hexdigest()[:12]
        self._versions[filename] = version
        return version


def register_assets(app: Flask) -> None:
    """Version the static URLs the app builds, and let the browser keep what they name."""
    if app.static_folder is None:
        return
    versions = AssetVersions(app.static_folder)

    @app.url_defaults
    def _version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and VERSION_PARAM not in values:
            version = versions.of(values.get("filename", ""))
            if version is not None:
                values[VERSION_PARAM] = version

    @app.after_request
    def _keep_versioned_assets(response: Response) -> Response:
        asked = request.args.get(VERSION_PARAM)
        if (
            asked
            and request.endpoint == "static"
            and response.status_code in (200, 206, 304)
            and asked == versions.of((request.view_args or {}).get("filename", ""))
        ):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = VERSIONED_MAX_AGE
            response.cache_control.immutable = True
        return response

    del _version_static_urls, _keep_versioned_assets
