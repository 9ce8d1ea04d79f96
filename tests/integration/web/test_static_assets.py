"""Stylesheets and scripts: linked under their version, kept by the browser until they change.

They were `no-cache`: every page view sent a conditional request for each asset and drew the
page only after its 304 came back (one more round trip per page on a school's network).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lti_pl import STATIC_DIR
from lti_pl.web.assets import VERSIONED_MAX_AGE, AssetVersions
from tests.support.builders import make_student, sign_in

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def assets_of(page: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in ASSET.findall(page)]


def version_of(name: str) -> str:
    return hashlib.sha256((Path(STATIC_DIR) / name).read_bytes()).hexdigest()[:12]


def test_a_page_links_each_asset_under_the_version_of_its_content(client):
    student = make_student()
    sign_in(client, student)
    page = client.get(f"/courses/{student.course_id}/learn/").get_data(as_text=True)
    urls = assets_of(page)
    assert {"/static/app.css", "/static/page.js"} <= {url.split("?")[0] for url in urls}, urls
    for url in urls:
        path, _, query = url.partition("?")
        assert query == f"v={version_of(path.removeprefix('/static/'))}", url


def test_a_versioned_asset_is_kept_for_a_year_and_never_asked_for_again(client):
    student = make_student()
    sign_in(client, student)
    page = client.get(f"/courses/{student.course_id}/learn/").get_data(as_text=True)
    for url in assets_of(page):
        response = client.get(url)
        assert response.status_code == 200, url
        control = response.cache_control
        assert control.max_age == VERSIONED_MAX_AGE, (url, response.headers["Cache-Control"])
        assert control.public, response.headers["Cache-Control"]
        assert control.immutable, response.headers["Cache-Control"]
        assert not control.no_cache, response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # A browser that still asks (a forced reload) gets a 304 that keeps it as long.
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        assert again.cache_control.max_age == VERSIONED_MAX_AGE


def test_an_asset_without_its_current_version_is_checked_each_time(client):
    """A page cached before a release names the old version: never kept past the change."""
    for url in ("/static/app.css", "/static/app.css?v=0123456789ab", "/static/app.css?v="):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.no_cache, (url, response.headers["Cache-Control"])
        assert not response.cache_control.immutable
        assert response.cache_control.max_age is None


def test_the_version_follows_the_content_and_stays_inside_the_folder(tmp_path: Path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "a.css").write_text("a { color: red }")
    (tmp_path / "secret").write_text("not an asset")
    first = AssetVersions(str(folder)).of("a.css")
    (folder / "a.css").write_text("a { color: blue }")
    second = AssetVersions(str(folder)).of("a.css")
    assert first
    assert second
    assert first != second
    assert len(first) == 12
    assert re.fullmatch(r"[0-9a-f]+", first)
    versions = AssetVersions(str(folder))
    assert versions.of("../secret") is None
    assert versions.of("missing.css") is None
    assert versions.of("") is None
