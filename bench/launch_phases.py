"""Where a first launch's server time goes: per phase, in this process, against the cheapest launch.

Run: `.venv/bin/python -m bench.launch_phases [--cycles 400] [--returning]`.

bench.launch measures what a person waits for, over HTTP. This bench says which part of the tool
that time is spent in. Both apps run in this process, driven through their WSGI callables by
werkzeug's test client (no sockets, no gunicorn): the tool as `lti-pl serve` prepares it (shipped
defaults, rate limits on, a temp SQLite, 12 learning targets on the course home), and the cheapest
correct launch of bench.launch (state, RS256, nonce, page; no database) as the baseline. Each
cycle is the OIDC login and the launch of a new student (the launch answers with the course home);
with `--returning` of a student who has launched before (each is launched once, unmeasured, first).

Printed per cycle: the baseline's whole time, the tool's, and the tool's time inside named
functions (wall time, nested: a phase includes the indented ones below it), each in ms and as a
ratio to the baseline measured in the same run. Last, the same SQL statements the tool's launch
ran, replayed straight through sqlite3: what the storage itself costs, without SQLAlchemy.

Why not a sampling profiler: py-spy's --gil samples put about 15 % of the tool's time in
gunicorn's request parser, which measures 0.1 ms a request when timed directly.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

from bench.common import launch_form, lti_pl, tool_env
from bench.launch import BASELINE_CONFIG, add_targets, make_minimal_app
from tests.support.platform_emulator import PlatformEmulator

TOOL = "http://127.0.0.1:9"  # the tool's base URL in its config; no socket is opened

# (depth, label, module, attribute): functions timed in the tool, a phase above its parts.
PHASES = (
    (0, "the WSGI app, whole (login + launch)", "flask", "Flask.wsgi_app"),
    (
        1,
        "open the session (and parse the form)",
        "lti_pl.web",
        "CookieOrUrlSessionInterface.open_session",
    ),
    (1, "before the view (rate limits, CSRF)", "flask", "Flask.preprocess_request"),
    (1, "login: state and nonce", "lti_pl.lti.launch", "Launcher.begin_login"),
    (1, "launch: check the id_token", "lti_pl.lti.launch", "Launcher.complete_launch"),
    (2, "pylti1p3 validation (RS256 included)", "lti_pl.lti.launch", "validate_message"),
    (1, "launch: provision the rows", "lti_pl.services.launches", "provision"),
    (2, "read course, person, enrollment, link", "lti_pl.services.launches", "_known_rows"),
    (2, "insert the person", "lti_pl.services.launches", "_new_person"),
    (1, "launch: the course home", "lti_pl.web.lti", "_render_home"),
    (2, "commit the launch's writes", "lti_pl.web.lti", "end_writes"),
    (2, "the student's levels (targets)", "lti_pl.web.student.home", "student_levels"),
    (2, "the station now", "lti_pl.web.student.home", "where_now"),
    (2, "render the templates", "lti_pl.web.student.home", "render_template"),
    (1, "after the view (commit, session, headers)", "flask", "Flask.process_response"),
)


@contextmanager
def timed(phases: tuple[tuple[int, str, str, str], ...]) -> Iterator[dict[str, list[float]]]:
    """Wrap each phase's function to add its wall time to totals[label]; unwrap on exit."""
    totals: dict[str, list[float]] = {label: [] for _, label, _, _ in phases}
    undo: list[Callable[[], None]] = []
    for _, label, module_name, attribute in phases:
        owner: Any = import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def wrapper(
            *args: Any,
            _original: Any = original,
            _spent: list[float] = totals[label],
            **kwargs: Any,
        ) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                _spent.append(time.perf_counter() - started)

        setattr(owner, name, functools.wraps(original)(wrapper))
        undo.append(
            lambda owner=owner, name=name, original=original: setattr(owner, name, original)
        )
    try:
        yield totals
    finally:
        for restore in reversed(undo):
            restore()


def tool_app(folder: Path, platform: PlatformEmulator) -> Any:
    """The tool as `lti-pl serve` prepares it, with the emulator registered and 12 targets."""
    env = tool_env(folder, 9, rate_limits=True)
    env["LTI_PL_BASE_URL"] = TOOL
    registration = folder / "platform.json"
    registration.write_text(json.dumps(platform.registration()))
    lti_pl(["platforms", "import", str(registration)], env)
    os.environ.update(env)
    from lti_pl import create_app
    from lti_pl.server import prepare_to_serve

    app = create_app()
    prepare_to_serve(app)
    # The teacher's launch syncs the roster: the emulator checks the tool's token against this.
    platform.tool_jwks = lambda: app.test_client().get("/lti/jwks.json").get_json()
    cycle(app, platform, "bench-teacher", role="Instructor", expect="")
    time.sleep(2)  # the teacher's roster sync (a background job) is done writing
    add_targets(folder, 12)
    return app


def cycle(
    app: Any,
    platform: PlatformEmulator,
    user: str,
    *,
    role: str = "Learner",
    login_path: str = "/lti/login",
    launch_path: str = "/lti/launch",
    expect: str = "Student view",
) -> None:
    """One browser's OIDC login and launch, through the app's WSGI callable."""
    browser = app.test_client()
    params = platform.login_params(TOOL, user_id=user)
    params["target_link_uri"] = TOOL + launch_path
    login = browser.post(login_path, data=params)
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}")
    _, form = launch_form(
        platform, login.headers["Location"], TOOL + launch_path, user, role, "bench-course"
    )
    launch = browser.post(launch_path, data=form)
    if expect and (launch.status_code != 200 or expect not in launch.get_data(as_text=True)):
        raise RuntimeError(f"launch answered {launch.status_code} without {expect!r}")


def whole_time(app: Any, run: Callable[[int], None], cycles: int) -> float:
    """Seconds per cycle inside `app.wsgi_app` over `cycles` cycles."""
    with timed(((0, "whole", "flask", "Flask.wsgi_app"),)) as totals:
        for i in range(cycles):
            run(i)
    return sum(totals["whole"]) / cycles


def storage_replay(app: Any, platform: PlatformEmulator, repeats: int) -> float:
    """Seconds per launch for the statements of one first launch, replayed through sqlite3."""
    from sqlalchemy import event

    from lti_pl.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        statements.append((statement, tuple(parameters or ())))

    event.listen(engine, "before_cursor_execute", record)
    try:
        cycle(app, platform, "replayed-student")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    connection = sqlite3.connect(engine.url.database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for n in range(repeats):
        person_id = None
        for statement, parameters in statements:
            values = list(parameters)
            if statement.startswith("INSERT INTO person"):
                values[1] = f"replayed-{n}"  # the subject: a new person each time
            elif statement.startswith("INSERT INTO used_nonce"):
                values[1] = uuid.uuid4().hex
            elif statement.startswith("INSERT INTO enrollment"):
                values[1] = person_id
            rows = connection.execute(statement, values).fetchall()
            if statement.startswith("INSERT INTO person"):
                person_id = rows[0][0]
            if statement.startswith("INSERT INTO enrollment"):
                connection.execute("COMMIT")  # end_writes
        connection.execute("COMMIT")
    elapsed = (time.perf_counter() - started) / repeats
    connection.close()
    return elapsed


def main() -> None:
    """Measure the baseline and the tool in this process and print the phases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=400, help="at most ~1,500: rate limits")
    parser.add_argument("--returning", action="store_true", help="repeat launches, not first")
    args = parser.parse_args()
    platform = PlatformEmulator().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = folder / "baseline.json"
            config.write_text(json.dumps(platform.registration()))
            os.environ[BASELINE_CONFIG] = str(config)
            minimal = make_minimal_app()
            app = tool_app(folder, platform)

            def baseline(i: int) -> None:
                cycle(
                    minimal,
                    platform,
                    f"user-{i}",
                    login_path="/login",
                    launch_path="/launch",
                    expect="User",
                )

            for i in range(30):  # warm both up (statement cache, JWKS, first compiles)
                baseline(-i - 1)
                cycle(app, platform, f"warm-{i}")
            if args.returning:
                for i in range(args.cycles):
                    cycle(app, platform, f"student-{i}")
            base = whole_time(minimal, baseline, args.cycles)
            with timed(PHASES) as totals:
                for i in range(args.cycles):
                    cycle(app, platform, f"student-{i}")
            storage = storage_replay(app, platform, 500)
    finally:
        platform.stop()
    kind = "repeat" if args.returning else "first"
    lines = [f"{args.cycles} {kind} launches (login, launch, course home), in-process, per cycle"]
    lines.append(row("cheapest correct launch (the baseline)", base, base))
    for depth, label, _, _ in PHASES:
        name = "  " * depth + ("lti_pl: " if depth == 0 else "") + label
        lines.append(row(name, sum(totals[label]) / args.cycles, base))
    lines.append(row("its SQL replayed through sqlite3 (no SQLAlchemy)", storage, base))
    print("\n".join(lines))


def row(name: str, seconds: float, base: float) -> str:
    """One printed line: ms per cycle and the ratio to the baseline."""
    return f"{name:<52} {1000 * seconds:7.3f} ms {seconds / base:6.2f}"


if __name__ == "__main__":
    main()
