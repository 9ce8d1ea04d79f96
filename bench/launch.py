"""Launch to the first rendered page: the tool vs a bare pylti1p3 Flask tool.

Run: `.venv/bin/python -m bench.launch [--launches 300 --concurrency 1,4 --rounds 6 --returning]`.

What a person waits for: a browser posts the OIDC login, the platform (the emulator of
tests/support/platform_emulator.py) signs an id_token for the returned state and nonce, the
browser posts it to the launch URL and, if the answer is a redirect, follows it and GETs the page;
the cycle ends when the first page of the tool (the course home) has come. Each cycle is a
distinct LMS user: by default one the tool has never seen (a first launch, which creates the
person and the enrollment); with `--returning` one who has launched before (a student opening
the tool in a later lesson, the common case: each of them is launched once, unmeasured, first).
The baseline is pylti1p3's stock FlaskOIDCLogin / FlaskMessageLaunch with ToolConfDict and the
Flask session, rendering a small page in the launch response.

Both servers run under gunicorn (1 process, 8 threads) on 127.0.0.1 at the same time, measured
in alternating rounds (so load from elsewhere on the machine hits both alike). The tool runs
`lti-pl serve` with its shipped defaults (rate limits on, access log on, security headers on) on a
temp SQLite. Printed per concurrency: launches/s, p50/p95 per cycle, the ratio tool / baseline
(target >= 1.5), the same against a floor that does no LTI work and against the cheapest correct
launch (state, RS256, nonce, page; no storage), and the server time per request kind (p50/p95 from
each access log, whole ms).
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
    Figures,
    Server,
    free_port,
    gunicorn_command,
    launch_once,
    measure,
    percentile,
    running_tool,
    serve,
    sqlite_app,
    tool_jwks_from,
)
from tests.support.keys import private_key_pem
from tests.support.platform_emulator import PlatformEmulator

BASELINE_CONFIG = "LTI_PL_BENCH_BASELINE_CONFIG"


def make_baseline_app() -> Any:
    """pylti1p3's stock Flask launch app (the gunicorn entry point of the baseline)."""
    from cryptography.hazmat.primitives import serialization
    from flask import Flask, render_template_string
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.tool_config import ToolConfDict

    config = json.loads(Path(os.environ[BASELINE_CONFIG]).read_text())
    tool_conf = ToolConfDict(config)
    private, pem = private_key_pem()
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
        return render_template_string(BASELINE_PAGE, data=data)

    @app.get("/health")
    def health() -> Any:
        return "ok"

    return app


def make_floor_app() -> Any:
    """A server that does no LTI work: the driver's and HTTP's own cost of one cycle.

    Its login redirects at once with a fixed state and nonce; its launch reads the id_token's
    payload without checking anything and answers the baseline's page, compiled once (the
    baseline's `render_template_string` compiles it on every launch). No tool can be faster than
    this, so it bounds the ratio any tool can reach against the baseline.
    """
    import base64

    from flask import Flask, redirect, request

    app = Flask("launch_floor")
    page = app.jinja_env.from_string(BASELINE_PAGE)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.values["target_link_uri"]
        return redirect(f"{target}?redirect_uri={target}&state=floor-state&nonce=floor-nonce")

    @app.post("/launch")
    def launch() -> Any:
        payload = request.form["id_token"].split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return page.render(data=data)

    @app.get("/health")
    def health() -> Any:
        return "ok"

    return app


def make_minimal_app() -> Any:
    """The cheapest correct launch: what any tool must do, and nothing else.

    The login makes a random state (kept in a cookie) and nonce (kept in memory); the launch
    checks the state against the cookie, the id_token's RS256 signature (the platform key fetched
    once and kept), issuer and audience, takes the nonce once, and renders the baseline's page
    compiled once. No database, no session, no user: a tool that stores the launch pays more.
    """
    import secrets
    import threading

    import jwt
    from flask import Flask, abort, redirect, request

    config = json.loads(Path(os.environ[BASELINE_CONFIG]).read_text())
    issuer, items = next(iter(config.items()))
    registration = items[0]
    key_client = jwt.PyJWKClient(registration["key_set_url"])
    keys: dict[str, Any] = {}
    nonces: set[str] = set()
    lock = threading.Lock()
    app = Flask("launch_minimal")
    page = app.jinja_env.from_string(BASELINE_PAGE)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.values["target_link_uri"]
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with lock:
            nonces.add(nonce)
        response = redirect(f"{target}?redirect_uri={target}&state={state}&nonce={nonce}")
        response.set_cookie("lti-state", state, httponly=True, samesite="Lax")
        return response

    @app.post("/launch")
    def launch() -> Any:
        if request.cookies.get("lti-state") != request.form.get("state"):
            abort(400)
        token = request.form["id_token"]
        kid = jwt.get_unverified_header(token)["kid"]
        if kid not in keys:
            keys[kid] = key_client.get_signing_key(kid).key
        data = jwt.decode(
            token,
            keys[kid],
            algorithms=["RS256"],
            audience=registration["client_id"],
            issuer=issuer,
        )
        with lock:
            if data["nonce"] not in nonces:
                abort(400)
            nonces.discard(data["nonce"])
        return page.render(data=data)

    @app.get("/health")
    def health() -> Any:
        return "ok"

    return app


BASELINE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course home</title></head>
<body><main><h1>Welcome</h1>
<p>Course {{ data["https://purl.imsglobal.org/spec/lti/claim/context"]["id"] }}</p>
<p>User {{ data["sub"] }}</p>
{% for role in data["https://purl.imsglobal.org/spec/lti/claim/roles"] %}
<p>{{ role }}</p>{% endfor %}
</main></body></html>
"""


@contextmanager
def baseline_server(
    folder: Path, platform: PlatformEmulator, app: str = "bench.launch:make_baseline_app()"
) -> Iterator[tuple[Server, Callable[[int], float]]]:
    """Serve the baseline (or `app`) with gunicorn; yields it and one login -> page cycle."""
    config = folder / "baseline.json"
    config.write_text(json.dumps(platform.registration()))
    port = free_port()
    command = gunicorn_command(app, port, access_log=True)
    with serve(command, {BASELINE_CONFIG: str(config)}, "/health", port) as server:
        yield (
            server,
            lambda i: launch_once(
                platform,
                server.url,
                f"user-{i}",
                launch_path="/launch",
                login_path="/login",
                expect_text=f"User user-{i}",
            ),
        )


@contextmanager
def tool_server(
    folder: Path, platform: PlatformEmulator, targets: int = 0
) -> Iterator[tuple[Server, Callable[[int], float]]]:
    """Serve the tool (`lti-pl serve`, shipped rate limits) on a temp SQLite; yields it and a cycle.

    A cycle ends on the student's course home: the launch's own page, or the redirect followed.
    With `targets` the course has that many learning targets (the home lists them).
    """
    with running_tool(folder, platform, rate_limits=True) as server:
        platform.tool_jwks = tool_jwks_from(server.url + "/lti/jwks.json")
        if targets:
            launch_once(platform, server.url, "bench-teacher", role="Instructor")
            add_targets(folder, targets)
        yield (
            server,
            lambda i: launch_once(
                platform, server.url, f"user-{i}", follow=True, expect_text="Student view"
            ),
        )


def add_targets(folder: Path, count: int) -> None:
    """`count` learning targets in the bench course, written to the tool's SQLite file."""
    from lti_pl.extensions import db
    from lti_pl.models.courses import Course
    from lti_pl.models.targets import LearningTarget

    app = sqlite_app(str(folder))
    with app.app_context():
        course = db.session.scalars(db.select(Course).filter_by(context_id="bench-course")).one()
        for n in range(count):
            db.session.add(
                LearningTarget(
                    course_id=course.id,
                    statement=f"I can explain idea {n + 1} in my own words",
                    position=n,
                    method_params={},
                )
            )
        db.session.commit()
        db.engine.dispose()


def server_times(name: str, times: dict[str, list[float]]) -> list[str]:
    """Printable p50/p95 of the server time per request kind."""
    lines = []
    for kind, values in sorted(times.items()):
        lines.append(
            f"  {name:<9} {kind:<42} n={len(values):<5} p50 {percentile(values, 0.5):5.0f} ms"
            f"  p95 {percentile(values, 0.95):5.0f} ms"
        )
    return lines


def main() -> None:
    """Measure both at each concurrency and print the ratios.

    Both servers run at once and are measured in alternating rounds, so a machine that gets
    busier or quieter during the run affects both sides alike.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--concurrency", default="1,4", help="comma-separated browser counts")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--returning",
        action="store_true",
        help="measure repeat launches: each user launches once, unmeasured, before the rounds",
    )
    parser.add_argument(
        "--targets",
        type=int,
        default=12,
        help="learning targets in the course (its home lists them)",
    )
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, args.launches))
    platform = PlatformEmulator().start()
    failed = False
    report: list[str] = []
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            baseline_server(Path(tmp), platform) as (baseline, baseline_job),
            baseline_server(Path(tmp), platform, "bench.launch:make_floor_app()") as (_, floor_job),
            baseline_server(Path(tmp), platform, "bench.launch:make_minimal_app()") as (
                _,
                minimal_job,
            ),
            tool_server(Path(tmp), platform, args.targets) as (tool, tool_job),
        ):
            for step, concurrency in enumerate(int(c) for c in args.concurrency.split(",")):
                first_user = 1_000_000 * (step + 1)  # every cycle a distinct LMS user
                warm_up = min(20, args.launches)
                measure(baseline_job, warm_up, concurrency, start=first_user - warm_up)
                measure(tool_job, warm_up, concurrency, start=first_user - warm_up)
                if args.returning:  # the users' first launches, not measured (the baselines
                    # keep nothing per user: to them a repeat launch is a first one)
                    measure(tool_job, args.launches, concurrency, start=first_user)
                offsets = baseline.log_offset(), tool.log_offset()
                baseline_parts: list[Figures] = []
                tool_parts: list[Figures] = []
                done = 0
                for round_ in range(rounds):
                    count = args.launches * (round_ + 1) // rounds - done
                    first, second = (
                        ((baseline_job, baseline_parts), (tool_job, tool_parts))
                        if round_ % 2 == 0
                        else ((tool_job, tool_parts), (baseline_job, baseline_parts))
                    )
                    for job, parts in (first, second):
                        parts.append(measure(job, count, concurrency, start=first_user + done))
                    done += count
                floor = measure(floor_job, args.launches // 2, concurrency, start=first_user)
                measure(minimal_job, warm_up, concurrency, start=first_user - warm_up)
                minimal = measure(minimal_job, args.launches // 2, concurrency, start=first_user)
                base = Figures.combined(baseline_parts)
                ours = Figures.combined(tool_parts)
                ratio = ours.per_second / base.per_second if base.per_second else 0.0
                ceiling = floor.per_second / base.per_second if base.per_second else 0.0
                reachable = minimal.per_second / base.per_second if base.per_second else 0.0
                kind = "repeat launches" if args.returning else "first launches"
                report += [
                    f"{args.launches} {kind} to the first page, {concurrency} concurrent"
                    f" browsers, {rounds} rounds",
                    base.line("pylti1p3 stock Flask app (baseline)"),
                    ours.line("lti_pl (lti-pl serve, SQLite)"),
                    floor.line("floor (no LTI work at all)"),
                    minimal.line("cheapest correct launch, no DB"),
                    f"ratio lti_pl / baseline launches/s at {concurrency}: {ratio:.2f}"
                    " (target >= 1.5)",
                    f"ceiling: the floor / baseline = {ceiling:.2f} (no tool can beat this ratio"
                    " with this driver)",
                    f"cheapest correct launch / baseline = {reachable:.2f} (state, RS256, nonce,"
                    " page; no database)",
                    "server time per request kind (access log):",
                    *server_times("baseline", baseline.access_times(offsets[0])),
                    *server_times("lti_pl", tool.access_times(offsets[1])),
                    "",
                ]
                failed = failed or bool(base.errors or ours.errors)
    finally:
        platform.stop()
    print("\n".join(report))
    if failed:
        raise SystemExit("errors during the run")


if __name__ == "__main__":
    main()
