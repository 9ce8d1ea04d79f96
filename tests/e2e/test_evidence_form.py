"""The evidence form as a student uses it: the kind radio shows its field; images show inline;
a file too large or of another type is refused before it uploads."""

from __future__ import annotations

import os
import re
import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import expect

from lti_pl.services.uploads import HEIC_ADVICE
from tests.e2e.support import assert_accessible, launch, screenshot, tool_frame

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


def open_target(
    browser: Any, live: Any, width: int = 360, target: str = "I can compare plant and animal cells."
) -> tuple[Any, Any]:
    """A browser `width` px wide, the student launched, on the target's page: (context, page)."""
    context = browser.new_context(viewport={"width": width, "height": 800 if width == 360 else 900})
    page = context.new_page()
    launch(page, live.sandbox_url, STUDENT)
    page.goto(tool_frame(page).url.split("/learn/")[0] + "/learn/targets")
    page.get_by_role("link", name=target).first.click()
    return context, page


def test_the_kind_radio_shows_only_its_field_and_an_image_shows_inline(
    browser: Any, live: Any, tmp_path: Any
) -> None:
    context, page = open_target(browser, live, 800)
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


def settle(page: Any) -> None:
    """Let the page finish loading before its context closes: a deferred script or a video's
    range still on its way would reach the tool during the next test (the cookie-blocked
    launch counts every request the tool receives)."""
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def _video(size: int) -> dict[str, Any]:
    """A video as an iPad's camera hands it to Safari (only its size matters here)."""
    return {"name": "IMG_0042.MOV", "mimeType": "video/quicktime", "buffer": b"\0" * size}


def test_a_file_too_large_or_of_another_type_is_refused_before_it_uploads(
    browser: Any, live: Any
) -> None:
    """A student on school Wi-Fi picks a 60 MB video: without a check in the page it uploads whole
    (minutes) before the tool refuses it, or past the server's request limit the connection drops.
    The page says why at once, sends nothing, and lets a link or a smaller file go."""
    context, page = open_target(browser, live)
    posts: list[int] = []  # the size of each POST's body
    page.on(
        "request",
        lambda r: posts.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None,
    )
    page.get_by_role("radio", name="A file").check()
    upload = page.locator("#file")
    limit = int(upload.get_attribute("data-max-bytes") or 0)
    assert limit == 10 * 1024 * 1024  # the shipped MAX_UPLOAD_MB
    check = page.locator("#file-check")
    upload.set_input_files(_video(limit + 1))
    expect(check).to_have_text(
        "That file is larger than the 10 MB limit. Choose a smaller file, or hand in a link to it."
    )  # not "10 MB; the limit is 10 MB"
    video = _video(limit * 5 // 4)
    upload.set_input_files(video)
    expect(check).to_have_text(
        "That file is 12.5 MB; the limit is 10 MB. Choose a smaller file, or hand in a link to it."
    )
    page.get_by_role("button", name="Submit evidence").click()
    expect(upload).to_be_focused()
    assert upload.get_attribute("aria-invalid") == "true"
    assert "file-check" in (upload.get_attribute("aria-describedby") or "")
    for width in (360, 800, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        check.scroll_into_view_if_needed()
        box, field = check.bounding_box(), upload.bounding_box()
        assert box is not None
        assert field is not None
        assert box["x"] + box["width"] <= width  # the message wraps inside the screen
        assert 0 <= box["y"] - (field["y"] + field["height"]) < 20  # right under the field
        screenshot(page, f"evidence-file-too-large-{width}")
    page.set_viewport_size({"width": 360, "height": 800})
    upload.set_input_files({"name": "Notes.pages", "mimeType": "", "buffer": b"x" * 100})
    expect(check).to_contain_text("Files of this type are not accepted; upload one of: ")
    expect(check).to_contain_text("mov")
    upload.set_input_files({"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": b"x"})
    expect(check).to_have_text(HEIC_ADVICE)  # what to do, not only "not accepted"
    assert posts == []  # nothing went to the tool
    # Handing in a link instead: the file chosen before is neither checked nor sent.
    upload.set_input_files(video)
    page.get_by_role("radio", name="A link").check()
    page.locator("#url").fill("https://drive.example.org/file/d/abc/view")
    page.get_by_role("button", name="Submit evidence").click()
    expect(page.locator(".flash")).to_contain_text("Evidence")
    assert len(posts) == 1
    assert posts[0] < 10_000, posts  # the form's fields, not the 10 MB video
    settle(page)
    context.close()


#: A real WebM, recorded in the page from a canvas (what a Chromebook's recorder makes): 64 × 48.
RECORD_WEBM_JS = r"""async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  const ctx = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(15), {mimeType: "video/webm"});
  const parts = [];
  recorder.ondataavailable = e => parts.push(e.data);
  const done = new Promise(resolve => { recorder.onstop = resolve; });
  recorder.start();
  for (let i = 0; i < 12; i++) {
    ctx.fillStyle = `hsl(${i * 30}, 80%, 50%)`; ctx.fillRect(0, 0, 64, 48);
    await new Promise(r => setTimeout(r, 60));
  }
  recorder.stop();
  await done;
  const bytes = new Uint8Array(await new Blob(parts, {type: "video/webm"}).arrayBuffer());
  return Array.from(bytes);
}"""


def test_a_recorded_video_is_handed_in_and_plays_in_the_page(browser: Any, live: Any) -> None:
    """A student hands in a screen recording (.webm); it plays where the evidence is listed,
    inside the card at a phone's width (it was a download link only). The teacher's pages show
    evidence through the same template (their inline route: tests/integration/evidence)."""
    context, page = open_target(
        browser, live, target="I can describe the parts of a cell and what each part does."
    )
    recording = bytes(page.evaluate(RECORD_WEBM_JS))
    assert recording[:4] == b"\x1a\x45\xdf\xa3", recording[:16]
    page.get_by_role("radio", name="A file").check()
    page.locator("#file").set_input_files(
        {"name": "explanation.webm", "mimeType": "video/webm", "buffer": recording}
    )
    page.get_by_role("button", name="Submit evidence").click()
    video = page.get_by_label("Video evidence: explanation.webm")
    expect(video).to_be_visible()
    page.wait_for_function(
        "v => v.readyState >= 1 && v.videoWidth > 0", arg=video.element_handle(), timeout=15000
    )
    shape = video.evaluate(
        "v => ({w: v.videoWidth, h: v.videoHeight, right: v.getBoundingClientRect().right,"
        " width: v.getBoundingClientRect().width,"
        " card: v.closest('.card').getBoundingClientRect().right})"
    )
    assert (shape["w"], shape["h"]) == (64, 48), shape  # decoded: the browser can play it
    assert shape["right"] <= shape["card"], shape
    assert shape["width"] >= 300, shape  # drawn across the card: room for its play controls
    video.scroll_into_view_if_needed()
    screenshot(page, "evidence-video-360")
    settle(page)
    context.close()


def test_a_second_tap_while_the_evidence_is_sending_sends_nothing_more(
    browser: Any, live: Any
) -> None:
    """A student taps "Submit evidence" twice (a slow network invites it): the first tap says
    "Sending…" on the button and the second sends nothing (each used to save a copy; the server
    also answers a repeated form from the first: tests/integration/web/test_forms_saved_once)."""
    context, page = open_target(browser, live)
    listed = page.locator("main article.card")
    before = listed.count()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.locator("#text").fill("My Venn diagram of plant and animal cells")
    # Two taps before the answer comes: both within the page, as fast as a thumb's double tap.
    label = page.evaluate(
        """() => {
      const button = document.querySelector('main form button.btn-primary');
      button.click();
      const label = button.textContent;
      button.click();
      return label;
    }"""
    )
    assert label == "Sending…"
    expect(page.locator(".flash")).to_contain_text("Evidence")
    expect(listed).to_have_count(before + 1)
    assert len(posts) == 1, posts
    settle(page)
    context.close()


def test_an_upload_shows_how_far_it_has_come_and_survives_a_dropped_connection(
    browser: Any, live: Any
) -> None:
    """A student hands in a lab report on slow school Wi-Fi. The connection drops on a first
    try: the page says so and keeps the typed text and the chosen file (the browser showed its
    own error page instead). The second try shows the upload's progress under the button (the
    page said only "Sending…" for as long as the upload took), saves once and lands on the page
    with "Evidence submitted"."""
    context, page = open_target(browser, live)
    listed = page.locator("main article.card")
    before = listed.count()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("radio", name="A file").check()
    report = b"%PDF-1.4\n" + os.urandom(800_000)
    page.locator("#file").set_input_files(
        {"name": "lab-report.pdf", "mimeType": "application/pdf", "buffer": report}
    )
    page.locator("#text").fill("My lab report on plant and animal cells")
    button = page.get_by_role("button", name="Submit evidence")
    status = page.locator(".upload-progress [role=status]")
    bar = page.locator(".upload-progress progress")
    # The connection is gone when the student taps.
    page.route("**/evidence", lambda route: route.abort("internetdisconnected"))
    button.click()
    expect(status).to_contain_text("The upload stopped: the connection was lost.")
    expect(bar).to_be_hidden()
    expect(button).to_have_text("Submit evidence")  # ready to be tapped again
    assert page.locator("#text").input_value() == "My lab report on plant and animal cells"
    assert page.evaluate("() => document.getElementById('file').files[0].name") == (
        "lab-report.pdf"
    )
    assert_accessible(page, "evidence form after a dropped upload")
    screenshot(page, "evidence-upload-stopped-360")
    page.unroute("**/evidence")
    # Back online, on slow Wi-Fi (100 kB/s up): the second try shows how far it has come.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": 500_000,
            "uploadThroughput": 100_000,
        },
    )
    button.click()
    page.wait_for_function(
        "() => { const p = document.querySelector('.upload-progress progress');"
        " return p && !p.hidden && p.value > 0 && p.value < 100; }"
    )
    text = status.inner_text()
    assert re.fullmatch(r"Uploading: \d+ of 78\d kB \(\d+ %\)", text), text  # the file and fields
    assert_accessible(page, "evidence form while uploading")
    for width in (360, 800, 1280):  # under the button, as wide as the fields, on the screen
        page.set_viewport_size({"width": width, "height": 800})
        shape = page.evaluate(
            """() => {
          const bar = document.querySelector('.upload-progress progress').getBoundingClientRect();
          const button = document.querySelector('main form button.btn-primary')
            .getBoundingClientRect();
          const field = document.getElementById('text').getBoundingClientRect();
          return {top: bar.top, button: button.bottom, left: bar.left, right: bar.right,
                  fieldLeft: field.left, fieldRight: field.right, width: innerWidth};
        }"""
        )
        assert shape["top"] >= shape["button"], shape
        assert shape["right"] <= shape["width"], shape
        assert abs(shape["left"] - shape["fieldLeft"]) <= 1, shape
        assert abs(shape["right"] - shape["fieldRight"]) <= 1, shape
        if width == 360:
            status.scroll_into_view_if_needed()
            screenshot(page, "evidence-uploading-360")
    expect(page.locator(".flash")).to_contain_text("Evidence")
    expect(listed).to_have_count(before + 1)
    expect(page.get_by_text("lab-report.pdf")).to_be_visible()
    assert len(posts) == 2, posts
    settle(page)
    context.close()


def test_an_upload_the_tool_refuses_comes_back_with_what_to_fix(browser: Any, live: Any) -> None:
    """The page sent the file itself; the tool's answer (the form, with what to fix) is drawn as
    the page, at the page's own address, with the field that needs fixing focused, and the
    page's behaviour (the kind radio, the checks) works again on it."""
    context, page = open_target(browser, live)
    where = page.url
    page.get_by_role("radio", name="A file").check()
    page.locator("#file").set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"MZ not a pdf" * 100}
    )
    page.get_by_role("button", name="Submit evidence").click()
    expect(page.locator("#file-error")).to_be_visible()
    assert page.url == where
    expect(page.locator("#file")).to_be_focused()
    assert page.locator("#file").get_attribute("aria-invalid") == "true"
    # The drawn page is alive: the radio hides the file field again, the size check is there.
    page.get_by_role("radio", name="A link").check()
    expect(page.locator("#file")).to_be_hidden()
    page.get_by_role("radio", name="A file").check()
    page.locator("#file").set_input_files(
        {"name": "big.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * 11_000_000}
    )
    expect(page.locator("#file-check")).to_contain_text("the limit is 10 MB")
    settle(page)
    context.close()
