"""Launch throughput: the tool's full login -> launch cycle vs a bare pylti1p3 Flask app.

Run: `.venv/bin/python -m bench.launch [--launches 300 --concurrency 4]`.

Both servers run under gunicorn (1 process, 8 threads) on 127.0.0.1 and are driven the same way
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


def run_baseline(
    folder: Path, platform: PlatformEmulator, launches: int, concurrency: int
) -> Figures:
    """Serve the baseline with gunicorn and drive it."""
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
        job = lambda i: launch_once(  # noqa: E731
            platform, server.url, f"user-{i}", launch_path="/launch", login_path="/login"
        )
        measure(job, min(20, launches), concurrency)  # warm-up
        return measure(job, launches, concurrency)


def run_tool(folder: Path, platform: PlatformEmulator, launches: int, concurrency: int) -> Figures:
    """Serve the tool with `lti-pl serve` on a temp SQLite and drive it."""
    with running_tool(folder, platform) as server:
        platform.tool_jwks = tool_jwks_from(server.url + "/lti/jwks.json")
        job = lambda i: launch_once(platform, server.url, f"user-{i % 50}")  # noqa: E731
        measure(job, min(20, launches), concurrency)  # warm-up
        return measure(job, launches, concurrency)


def main() -> None:
    """Measure both and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    platform = PlatformEmulator().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            baseline = run_baseline(Path(tmp), platform, args.launches, args.concurrency)
            tool = run_tool(Path(tmp), platform, args.launches, args.concurrency)
    finally:
        platform.stop()
    print(f"{args.launches} launches, {args.concurrency} concurrent browsers")
    print(baseline.line("pylti1p3 stock Flask app (baseline)"))
    print(tool.line("lti_pl (lti-pl serve, SQLite)"))
    ratio = tool.per_second / baseline.per_second if baseline.per_second else 0.0
    print(f"ratio lti_pl / baseline launches/s: {ratio:.2f} (target >= 1.0)")
    if baseline.errors or tool.errors:
        raise SystemExit("errors during the run")


if __name__ == "__main__":
    main()
