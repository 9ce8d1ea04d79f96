"""The evidence form as a student uses it: the kind radio shows its field; images show inline."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_accessible, launch, tool_frame

pytestmark = pytest.mark.e2e

STUDENT = "Chloe Martin"


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A real, decodable PNG (solid blue), made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x1d\x4e\xd8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_kind_radio_shows_only_its_field_and_an_image_shows_inline(
    browser: Any, live: Any, tmp_path: Any
) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    launch(page, live.sandbox_url, STUDENT)
    page.goto(tool_frame(page).url.split("/learn/")[0] + "/learn/targets")
    page.get_by_role("link", name="I can compare plant and animal cells.").first.click()
    text, link, upload = (
        page.locator("#text"),
        page.locator("#url"),
        page.locator("#file"),
    )

    expect(text).to_be_visible()
    expect(link).to_be_hidden()
    expect(upload).to_be_hidden()
    page.get_by_role("radio", name="A link").check()
    expect(link).to_be_visible()
    expect(upload).to_be_hidden()
    expect(text).to_be_visible()  # a note may go with a link
    page.get_by_role("radio", name="A file").check()
    expect(upload).to_be_visible()
    expect(link).to_be_hidden()
    assert_accessible(page, "evidence form, file chosen")

    image = tmp_path / "cell-drawing.png"
    image.write_bytes(tiny_png())
    upload.set_input_files(str(image))
    page.get_by_role("button", name="Submit evidence").click()
    shown = page.get_by_alt_text("Image evidence: cell-drawing.png")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 24
    context.close()
