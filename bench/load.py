"""Load: 50 concurrent launches and 200 concurrent page views, PostgreSQL + Redis vs SQLite.

Run: `.venv/bin/python -m bench.load [--launches 50 --views 200]`
(PostgreSQL from LTI_PL_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres,
where a scratch database `lti_pl_bench_<random>` is created and dropped; Redis from
LTI_PL_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14).

Each configuration runs `lti-pl serve` on 127.0.0.1 (SQLite: the embedded default, 1 process;
PostgreSQL + Redis: 2 processes), then: all launches at once (one browser each, OIDC login ->
launch through the platform emulator), then all page views at once (each browser opens its course
home). Printed: throughput, p50/p95, errors (must be 0), the tool's CPU per launch and per view
(its processes, read from /proc: steadier than latency on a noisy machine), and PostgreSQL+Redis
as a ratio to the SQLite run measured just before it; last, the same page views of a server that
does no work at all (the floor: what this driver and machine allow).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import (
    Figures,
    free_port,
    gunicorn_command,
    launch_once,
    measure,
    running_tool,
    serve,
    tool_jwks_from,
)
from tests.support.platform_emulator import PlatformEmulator


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database for the run, dropped afterwards."""
    url = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"lti_pl_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            url.set(database=name)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg://", "postgresql://", 1)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(
    name: str,
    platform: PlatformEmulator,
    launches: int,
    views: int,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
) -> tuple[Figures, Figures]:
    """Launch `launches` browsers at once, then `views` course-home views at once."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_tool(
            Path(tmp), platform, database_url=database_url, redis_url=redis_url, workers=workers
        ) as server,
    ):
        platform.tool_jwks = tool_jwks_from(server.url + "/lti/jwks.json")
        browsers: list[tuple[requests.Session, str]] = []

        def launch(i: int) -> float:
            session = requests.Session()
            elapsed = launch_once(
                platform, server.url, f"{name}-student-{i}", session=session, follow=True
            )
            browsers.append((session, session.last_url))  # type: ignore[attr-defined]
            return elapsed

        # No warm-up: the 50 launches are all *first* launches into a course nobody opened yet, so
        # they race to create the course row (services/launches.get_or_create must absorb that).
        cpu = server.cpu_seconds()
        launched = measure(launch, launches, launches)
        launched.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(launched.count, 1)

        def view(i: int) -> float:
            session, home = browsers[i % len(browsers)]
            started = time.perf_counter()
            page = session.get(home, timeout=30)
            if page.status_code != 200:
                raise RuntimeError(f"page view answered {page.status_code}")
            return time.perf_counter() - started

        cpu = server.cpu_seconds()
        viewed = measure(view, views, views) if browsers else Figures(0, views, 1.0, 0.0, 0.0)
        viewed.cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(viewed.count, 1)
    return launched, viewed


def floor_views(views: int, workers: int = 2) -> Figures:
    """`views` page views at once of a server that does no work (bench.launch's floor app) in the
    same gunicorn shape: the p95 no tool can beat with this driver on this machine."""
    port = free_port()
    command = gunicorn_command("bench.launch:make_floor_app()", port, workers=workers)
    with serve(command, {}, "/health", port) as server:
        browsers = [requests.Session() for _ in range(50)]
        for browser in browsers:
            browser.get(server.url + "/health", timeout=30)  # connected, as the tool's browsers

        def view(i: int) -> float:
            started = time.perf_counter()
            if (
                browsers[i % len(browsers)].get(server.url + "/health", timeout=30).status_code
                != 200
            ):
                raise RuntimeError("floor view failed")
            return time.perf_counter() - started

        return measure(view, views, views)


def main() -> None:
    """Run both configurations and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=50)
    parser.add_argument("--views", type=int, default=200)
    args = parser.parse_args()
    admin_url = os.environ.get(
        "LTI_PL_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("LTI_PL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    platform = PlatformEmulator().start()
    try:
        sqlite = run("sqlite", platform, args.launches, args.views)
        with scratch_postgres(admin_url) as database_url:
            postgres = run(
                "pg",
                platform,
                args.launches,
                args.views,
                database_url=database_url,
                redis_url=redis_url,
                workers=2,
            )
        floor = floor_views(args.views)
    finally:
        platform.stop()
    print(f"{args.launches} concurrent launches, then {args.views} concurrent page views")
    print(sqlite[0].line("launches  SQLite (embedded, 1 proc)"))
    print(postgres[0].line("launches  PostgreSQL+Redis (2 procs)"))
    print(sqlite[1].line("views     SQLite (embedded, 1 proc)"))
    print(postgres[1].line("views     PostgreSQL+Redis (2 procs)"))
    print(floor.line("views     floor (no work, 2 procs)"))
    print("tool CPU (its processes, user + system) per operation, steadier than latency:")
    for label, index in (("launches", 0), ("views", 1)):
        print(
            f"  {label:<9} SQLite {sqlite[index].cpu_ms:5.1f} ms   "
            f"PostgreSQL+Redis {postgres[index].cpu_ms:5.1f} ms"
        )
    for label, index in (("launches", 0), ("views", 1)):
        base, other = sqlite[index], postgres[index]
        ratio = other.per_second / base.per_second if base.per_second else 0.0
        p95 = other.p95 / base.p95 if base.p95 else 0.0
        print(f"{label}: PostgreSQL+Redis / SQLite throughput {ratio:.2f}, p95 {p95:.2f}")
    errors = sum(f.errors for pair in (sqlite, postgres) for f in pair)
    if errors:
        raise SystemExit(f"{errors} errors during the run")


if __name__ == "__main__":
    main()
