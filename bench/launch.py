"""Launch throughput: the tool's full login -> launch cycle vs a bare pylti1p3 Flask app.

Run: `.venv/bin/python -m bench.launch [--launches 300 --concurrency 4 --rounds 6]`.

Both servers run under gunicorn (1 process, 8 threads) on 127.0.0.1, at the same time, measured in
alternating rounds (so load from elsewhere on the machine hits both alike), driven the same way
by the platform emulator (tests/support/platform_emulator.py) over real HTTP: a fresh browser
session posts the OIDC login, the emulator signs an id_token for the returned state and nonce,
and the browser posts it to the launch URL. The tool (`lti-pl serve`, temp SQLite) also provisions
the course, person and enrollment and sets its session; the baseline is pylti1p3's stock
FlaskOIDCLogin / FlaskMessageLaunch with ToolConfDict and the Flask session. Printed: launches/s,
p50/p95, and the ratio tool / baseline (target >= 1.0).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import (
    VENV_BIN,
    Figures,
    free_port,
    launch_once,
    measure,
    running_tool,
    serve,
    tool_jwks_from,
)
from tests.support.platform_emulator import PlatformEmulator

BASELINE_CONFIG = "LTI_PL_BENCH_BASELINE_CONFIG"


def make_baseline_app() -> Any:
    """pylti1p3's stock Flask launch app (the gunicorn entry point of the baseline)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from flask import Flask, redirect, request
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.tool_config import ToolConfDict

    config = json.loads(Path(os.environ[BASELINE_CONFIG]).read_text())
    tool_conf = ToolConfDict(config)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for issuer, items in config.items():
        for item in items:
            tool_conf.set_private_key(issuer, pem, client_id=item["client_id"])
            tool_conf.set_public_key(issuer, public, client_id=item["client_id"])
    app = Flask("pylti1p3_baseline")
    app.secret_key = "baseline-secret"  # noqa: S105 - a bench app

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        flask_request = FlaskRequest()
        target = flask_request.get_param("target_link_uri")
        return FlaskOIDCLogin(flask_request, tool_conf).redirect(target)

    @app.post("/launch")
    def launch() -> Any:
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        data = message_launch.get_launch_data()
        return redirect(f"/done?sub={len(data['sub'])}", code=303)

    @app.get("/health")
    def health() -> Any:
        return "ok"

    del request
    return app


@contextmanager
def baseline_server(folder: Path, platform: PlatformEmulator) -> Iterator[Callable[[int], float]]:
    """Serve the baseline with gunicorn; yields one browser's login -> launch cycle."""
    config = folder / "baseline.json"
    config.write_text(json.dumps(platform.registration()))
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "8",
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
        "bench.launch:make_baseline_app()",
    ]
    with serve(command, {BASELINE_CONFIG: str(config)}, "/health", port) as server:
        yield lambda i: launch_once(
            platform, server.url, f"user-{i}", launch_path="/launch", login_path="/login"
        )


@contextmanager
def tool_server(folder: Path, platform: PlatformEmulator) -> Iterator[Callable[[int], float]]:
    """Serve the tool with `lti-pl serve` on a temp SQLite; yields one launch cycle."""
    with running_tool(folder, platform) as server:
        platform.tool_jwks = tool_jwks_from(server.url + "/lti/jwks.json")
        yield lambda i: launch_once(platform, server.url, f"user-{i % 50}")


def main() -> None:
    """Measure both and print the ratio.

    Both servers run at once and are measured in alternating rounds, so a machine that gets
    busier or quieter during the run affects both sides alike.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, args.launches))
    platform = PlatformEmulator().start()
    baseline_parts: list[Figures] = []
    tool_parts: list[Figures] = []
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            baseline_server(Path(tmp), platform) as baseline_job,
            tool_server(Path(tmp), platform) as tool_job,
        ):
            warm_up = min(20, args.launches)
            measure(baseline_job, warm_up, args.concurrency, start=-warm_up)
            measure(tool_job, warm_up, args.concurrency, start=-warm_up)
            done = 0
            for round_ in range(rounds):
                count = args.launches * (round_ + 1) // rounds - done
                first, second = (
                    ((baseline_job, baseline_parts), (tool_job, tool_parts))
                    if round_ % 2 == 0
                    else ((tool_job, tool_parts), (baseline_job, baseline_parts))
                )
                for job, parts in (first, second):
                    parts.append(measure(job, count, args.concurrency, start=done))
                done += count
    finally:
        platform.stop()
    baseline = Figures.combined(baseline_parts)
    tool = Figures.combined(tool_parts)
    print(f"{args.launches} launches, {args.concurrency} concurrent browsers, {rounds} rounds")
    print(baseline.line("pylti1p3 stock Flask app (baseline)"))
    print(tool.line("lti_pl (lti-pl serve, SQLite)"))
    ratio = tool.per_second / baseline.per_second if baseline.per_second else 0.0
    print(f"ratio lti_pl / baseline launches/s: {ratio:.2f} (target >= 1.0)")
    if baseline.errors or tool.errors:
        raise SystemExit("errors during the run")


if __name__ == "__main__":
    main()
