"""A sandbox LTI 1.3 platform living in the package, for `lti-pl demo` and the browser tests.

Off unless started by `lti-pl demo` or LTI_PL_SANDBOX=1. It serves on its own port (another origin,
like a real LMS), signs launches with its own key, and is registered with the tool through
`lti_pl.services.platforms.import_registrations`, the code behind `lti-pl platforms import`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from lti_pl.sandbox.app import build_sandbox_app
from lti_pl.sandbox.platform import SandboxPlatform

logger = logging.getLogger(__name__)

__all__ = ["SandboxPlatform", "SandboxServer"]


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path and status only: query strings carry state, nonces and hints."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        logger.debug("sandbox %s %s %s", self.command, path, code)


class SandboxServer:
    """The sandbox app on a threaded werkzeug server in a background thread.

    Args:
        folder: the instance folder (the sandbox's key and gradebook live there).
        tool_url: the tool's base URL.
        host: interface to bind.
        port: port (0 picks a free one).
    """

    def __init__(self, folder: Path, tool_url: str, host: str = "127.0.0.1", port: int = 0):
        self.platform = SandboxPlatform(folder, tool_url)
        self.app = build_sandbox_app(self.platform)
        self._server: Any = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.platform.url = f"http://{host}:{self._server.server_port}"
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The sandbox's base URL (its issuer)."""
        return self.platform.url

    def start(self) -> SandboxServer:
        """Serve in a daemon thread."""
        self._owner_pid = os.getpid()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lti-pl-sandbox", daemon=True
        )
        self._thread.start()
        logger.info("sandbox platform serving on port=%s", self._server.server_port)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket.

        Only in the process that started it: a forked child (a gunicorn worker of `lti-pl demo`)
        has no serving thread, and `shutdown()` there would wait for it forever.
        """
        if getattr(self, "_owner_pid", None) != os.getpid():
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
