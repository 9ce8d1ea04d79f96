"""Serving a test double's Flask app on a free port of 127.0.0.1, in a daemon thread."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


def serve_in_thread(
    app: Flask, handler: type[WSGIRequestHandler], poll_interval: float = 0.5
) -> tuple[BaseWSGIServer, threading.Thread]:
    """Start serving `app` (threaded, with `handler`); the server and its thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
    )
    thread.start()
    return server, thread


def stop_serving(server: Any) -> None:
    """Stop a server `serve_in_thread` started (nothing if it never started)."""
    if server is not None:
        server.shutdown()
        server.server_close()
