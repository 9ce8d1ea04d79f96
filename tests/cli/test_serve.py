"""`lti-pl serve` runs gunicorn; /healthz answers once it is ready."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_healthz_and_jwks_with_gunicorn(tmp_path: Path):
    port = free_port()
    env = os.environ | {
        "LTI_PL_INSTANCE_PATH": str(tmp_path),
        "LTI_PL_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "LTI_PL_REDIS_URL": "",
    }
    env.pop("LTI_PL_TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "lti_pl.cli", "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert status == 200
        jwks = requests.get(f"http://127.0.0.1:{port}/lti/jwks.json", timeout=2).json()
        assert len(jwks["keys"]) == 1
        assert "d" not in jwks["keys"][0]
        assert (tmp_path / "secret_key").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert "gunicorn" in output.lower() or "Booting worker" in output
