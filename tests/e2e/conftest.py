"""Live servers and a real Chromium for the browser journeys.

The tool (create_app on a temporary SQLite file, served by a threaded werkzeug server) and the
sandbox LMS (lti_pl.sandbox) run on 127.0.0.1 on two ports, registered with each other through the
same code as `lti-pl demo`. Chromium is Debian's (/usr/bin/chromium), driven by Playwright.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from lti_pl import create_app
from lti_pl.models.base import utcnow
from lti_pl.sandbox import SandboxServer
from lti_pl.sandbox.setup import prepare_tool, register_sandbox, seed_demo_course

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
TIMEOUT_MS = 15_000  # a slow CI machine, not a slow page: no test asserts timings


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class CookieLog:
    """Every request the tool received, with the Cookie header it carried (proof for the tests)."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Record only requests whose User-Agent contains this (one test's own browser): a page of an
    #: earlier test may still be fetching its CSS when the next test starts counting.
    only_agent: str = ""

    def clear(self, *, only_agent: str = "") -> None:
        with self.lock:
            self.requests.clear()
            self.only_agent = only_agent

    def with_cookies(self) -> list[tuple[str, str, str]]:
        with self.lock:
            return [r for r in self.requests if r[2]]


class RecordingMiddleware:
    """Records method, path and Cookie header of each request before the tool sees it."""

    def __init__(self, app: Any, log: CookieLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.log.lock:
            if self.log.only_agent not in environ.get("HTTP_USER_AGENT", ""):
                return self.app(environ, start_response)
            self.log.requests.append(
                (
                    environ["REQUEST_METHOD"],
                    environ.get("PATH_INFO", ""),
                    environ.get("HTTP_COOKIE", ""),
                )
            )
        return self.app(environ, start_response)


@dataclass
class LiveSite:
    """The running tool and sandbox."""

    tool_url: str
    sandbox_url: str
    app: Any
    sandbox: SandboxServer
    cookies: CookieLog


def _chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing under CI: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (skipped outside CI)")


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The tool and the sandbox LMS, running and registered with each other.

    Package scope: the servers and the grade worker stop when the browser tests end, before
    other tests swap `db.session` for their rolled-back transaction.
    """
    _chromium_or_skip()
    folder = tmp_path_factory.mktemp("e2e")
    log = CookieLog()
    recorder = RecordingMiddleware(None, log)
    tool_server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=_Quiet)
    tool_url = f"http://127.0.0.1:{tool_server.server_port}"
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'tool.sqlite3'}",
            "LTI_PL_BASE_URL": tool_url,
            "LTI_PL_INSTANCE_PATH": str(folder),
            "LTI_PL_UPLOAD_FOLDER": str(folder / "uploads"),
            "LTI_PL_REDIS_URL": None,
            "LTI_PL_SANDBOX": True,
            "LTI_PL_PROXY_HOPS": 0,
            "LTI_PL_HTTP_TIMEOUT": 5.0,
            "LTI_PL_REFUSE_GET_WRITES": True,  # a GET page that writes fails the journey
        }
    )
    prepare_tool(app, now=utcnow())
    recorder.app = app
    sandbox = SandboxServer(folder / "sandbox", tool_url).start()
    register_sandbox(app, sandbox.platform)
    seed_demo_course(app, sandbox.platform, now=utcnow())
    sandbox.platform.ensure_default_link()
    thread = threading.Thread(target=tool_server.serve_forever, daemon=True)
    thread.start()
    # The in-process grade worker, as `lti-pl serve` and `lti-pl demo` run it.
    start_worker = app.extensions.get("lti_pl_worker_hooks", {}).get("start")
    worker = start_worker() if start_worker else None
    yield LiveSite(tool_url, sandbox.url, app, sandbox, log)
    if worker is not None:
        worker.stop()
    tool_server.shutdown()
    tool_server.server_close()
    sandbox.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    """Playwright's sync API, once for the session: every browser test's browser comes from it
    (a second sync_playwright() in the same thread fails: "Sync API inside the asyncio loop")."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page, 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        line = f"screenshots: {SCREENSHOTS}"
        if reporter is not None:
            reporter.write_line(line)


def clean_screenshots() -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
