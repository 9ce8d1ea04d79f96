"""`lti-pl demo` as a person runs it: starts, prints the URL, serves both apps, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.support import gradebook_row
from tests.e2e.test_journey import (
    COLUMN,
    STUDENT,
    student_does_the_work,
    teacher_deep_links_targets,
)

LTI_PL = Path(sys.executable).with_name("lti-pl")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.e2e
def test_demo_serves_the_tool_and_the_sandbox_and_stops_on_ctrl_c(
    tmp_path: Path, browser: Any
) -> None:
    """The README's command: gunicorn serves the tool, its grade worker sends scores."""
    tool_port, sandbox_port = free_port(), free_port()
    # The default log level, as a person runs it: the demo itself keeps the output short.
    env = dict(os.environ, LTI_PL_INSTANCE_PATH=str(tmp_path))
    env.pop("LTI_PL_LOG_LEVEL", None)
    env.pop("LTI_PL_DATABASE_URL", None)
    process = subprocess.Popen(
        [str(LTI_PL), "demo", "--port", str(tool_port), "--sandbox-port", str(sandbox_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Listening at" in line:
                break
        text = "".join(output)
        assert f"Open the sandbox LMS:  http://127.0.0.1:{sandbox_port}/" in text, text
        sandbox = requests.get(f"http://127.0.0.1:{sandbox_port}/", timeout=10)
        assert "Launch as Ms Rivera" in sandbox.text
        assert "SANDBOX LMS" in sandbox.text
        jwks = requests.get(f"http://127.0.0.1:{tool_port}/lti/jwks.json", timeout=10).json()
        assert jwks["keys"]
        assert "d" not in jwks["keys"][0]
        # Served by gunicorn (the production path), not a development server.
        assert "gunicorn" in text
        assert (tmp_path / "demo" / "sandbox" / "sandbox_platform_key.pem").exists()
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            teacher_deep_links_targets(page, sandbox_url)
            student_does_the_work(page, sandbox_url, COLUMN)
            # "I'm ready to be assessed" sends a Pending score through the grade worker.
            row = gradebook_row(
                page,
                sandbox_url,
                COLUMN,
                STUDENT,
                lambda: "no score reached the sandbox gradebook",
            )
            expect(row).to_contain_text("Pending")
        finally:
            context.close()
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(output) + rest
    assert "demo stopped" in rest
    # Quiet: nothing before the banner but the banner, no line twice, and the worker exits by
    # itself on Ctrl-C (it used to hang in the sandbox's shutdown until gunicorn killed it).
    lines = [line.rstrip("\n") for line in "".join(output).splitlines() + rest.splitlines()]
    banner = lines.index("lti_pl demo is starting")
    assert banner <= 1, lines[:banner]
    # Access-log lines (one per request the journey made) may repeat; log lines may not.
    logged = [
        line.split("] ", 1)[-1]
        for line in lines
        if not set(line) <= {"="} and not line.startswith("127.0.0.1 ")
    ]
    twice = sorted({line for line in logged if logged.count(line) > 1})
    assert twice == [], twice
    assert len(logged) < 60, logged
    assert "SIGKILL" not in rest, rest
    assert rest.count("demo stopped") == 1
