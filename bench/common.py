"""Shared bench helpers: run `lti-pl serve` (or the stock pylti1p3 app) in a subprocess, drive
OIDC login -> launch cycles over real HTTP with the platform emulator, and summarise timings.

Benches are not tests: they print figures, each as a ratio to a baseline measured in the same run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask import Flask

from lti_pl import create_app
from tests.support.platform_emulator import PlatformEmulator

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def sqlite_app(folder: str, **config: Any) -> Flask:
    """The tool in this process on a throwaway SQLite database in `folder`, without Redis
    (`config` adds or changes settings)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "LTI_PL_INSTANCE_PATH": folder,
            "LTI_PL_REDIS_URL": None,
            **config,
        }
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30.0) -> None:
    """Poll `url` until it answers below 500."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


@dataclass
class Server:
    """A server subprocess on 127.0.0.1."""

    url: str
    process: subprocess.Popen[bytes]
    log: Any = None

    def log_offset(self) -> int:
        """How far the server's output has come (for `access_times` from here on)."""
        self.log.flush()
        return os.fstat(self.log.fileno()).st_size

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far: the gunicorn master
        and its workers (the process group `serve` started). Far steadier than latency on a noisy
        machine: it does not count the time the server waited for a core."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[2]) == self.process.pid:  # fields[2]: the process group
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def access_times(self, since: int = 0) -> dict[str, list[float]]:
        """Server time in ms per request kind ("POST /lti/launch 303") from its access log.

        Reads gunicorn access lines in lti-pl serve's format (`... "METHOD /path" status bytes
        Nms`) written after offset `since`; numbers in paths are folded into `{id}`.
        """
        with open(self.log.name, "rb") as reader:
            reader.seek(since)
            text = reader.read().decode(errors="replace")
        times: dict[str, list[float]] = {}
        for match in ACCESS_LINE.finditer(text):
            path = re.sub(r"/\d+", "/{id}", match["path"])
            kind = f"{match['method']} {path} {match['status']}"
            times.setdefault(kind, []).append(float(match["ms"]))
        return times


ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+)" (?P<status>\d{3}) \S+ (?P<ms>\d+(?:\.\d+)?)ms'
)
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'  # as `lti-pl serve` (server.py)


def percentile(values: list[float], share: float) -> float:
    """The `share` (0..1) percentile of `values` (nearest rank; 0.0 when empty)."""
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@contextmanager
def serve(command: list[str], env: dict[str, str], health: str, port: int) -> Iterator[Server]:
    """Run `command` until the block ends (SIGTERM, then SIGKILL)."""
    # LTI_PL_BENCH_LOG_DIR keeps each server's output (to read the errors of a run).
    log_dir = os.environ.get("LTI_PL_BENCH_LOG_DIR")
    if log_dir:
        log: Any = open(Path(log_dir) / f"server-{port}.log", "w+b")  # noqa: SIM115
    else:
        log = tempfile.NamedTemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(  # noqa: S603 - our own commands
        command, env=os.environ | env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(url + health)
        except RuntimeError:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        yield Server(url, process, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def gunicorn_command(
    app: str, port: int, *, workers: int = 1, access_log: bool = False
) -> list[str]:
    """gunicorn serving `app` (module:callable) on 127.0.0.1:port in `lti-pl serve`'s shape
    (gthread, 8 threads); with `access_log`, lines in its format on stdout."""
    command = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        "8",
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
    ]
    if access_log:
        command += ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
    return [*command, app]


def tool_env(
    folder: Path,
    port: int,
    database_url: str | None = None,
    redis_url: str | None = None,
    *,
    rate_limits: bool = False,
) -> dict[str, str]:
    """Environment for `lti-pl` on http://127.0.0.1:port with its own instance folder.

    With `rate_limits` the shipped rate limits stay as `lti-pl serve` has them by default.
    """
    env = {
        "LTI_PL_INSTANCE_PATH": str(folder),
        "LTI_PL_BASE_URL": f"http://127.0.0.1:{port}",
        "LTI_PL_SECRET_KEY": "bench-secret-key",
        "LTI_PL_SECURE_COOKIES": "false",  # plain HTTP on loopback
        "LTI_PL_PROXY_HOPS": "0",
        "LTI_PL_RATE_LIMIT_ENABLED": "false",
        "LTI_PL_LOG_LEVEL": "WARNING",
        "LTI_PL_DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "LTI_PL_REDIS_URL": redis_url or "",
    }
    if rate_limits:
        del env["LTI_PL_RATE_LIMIT_ENABLED"]
    return env


def lti_pl(args: list[str], env: dict[str, str]) -> str:
    """Run an `lti-pl` command and return its output."""
    result = subprocess.run(  # noqa: S603 - our own command
        [str(VENV_BIN / "lti-pl"), *args],
        env=os.environ | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"lti-pl {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


@contextmanager
def running_tool(
    folder: Path,
    platform: PlatformEmulator,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
    threads: int = 8,
    rate_limits: bool = False,
) -> Iterator[Server]:
    """`lti-pl serve` with `platform` registered (`rate_limits`: the shipped limits on)."""
    port = free_port()
    env = tool_env(folder, port, database_url, redis_url, rate_limits=rate_limits)
    registration = folder / "platform.json"
    registration.write_text(json.dumps(platform.registration()))
    lti_pl(["platforms", "import", str(registration)], env)
    command = [
        str(VENV_BIN / "lti-pl"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with serve(command, env, "/healthz", port) as server:
        yield server


def tool_jwks_from(url: str) -> Callable[[], dict[str, Any]]:
    """The emulator's view of the tool's JWKS, fetched over HTTP once."""
    cache: dict[str, Any] = {}

    def jwks() -> dict[str, Any]:
        if "keys" not in cache:
            cache.update(requests.get(url, timeout=5).json())
        return cache

    return jwks


def launch_form(
    platform: PlatformEmulator,
    login_redirect: str,
    launch_url: str,
    user_id: str,
    role: str,
    context_id: str,
) -> tuple[str, dict[str, str]]:
    """What the platform posts back after the login's redirect: (redirect_uri, the form with
    the id_token it signs for that state and nonce). No name or email: a privacy-minded LMS."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(login_redirect).query).items()}
    body = platform.claims(
        nonce=query["nonce"],
        target_link_uri=launch_url,
        user_id=user_id,
        role=role,
        context_id=context_id,
        name=None,
        email=None,
    )
    return query["redirect_uri"], {"id_token": platform.sign(body), "state": query["state"]}


def launch_once(
    platform: PlatformEmulator,
    tool_url: str,
    user_id: str,
    context_id: str = "bench-course",
    role: str = "Learner",
    launch_path: str = "/lti/launch",
    login_path: str = "/lti/login",
    session: requests.Session | None = None,
    follow: bool = False,
    expect_text: str = "",
) -> float:
    """One browser's login -> launch cycle; returns its duration in seconds.

    With `session` the browser's cookies are kept there; with `follow` the launch's redirect is
    followed to the course home, whose URL is left in `session.last_url`. With `expect_text` the
    page the browser ends on (the launch's own 200, or the followed home) must contain it.
    """
    started = time.perf_counter()
    browser = session or requests.Session()
    params = platform.login_params(tool_url, user_id=user_id)
    params["target_link_uri"] = tool_url + launch_path
    login = browser.post(tool_url + login_path, data=params, allow_redirects=False, timeout=30)
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}: {login.text[:300]}")
    redirect_uri, form = launch_form(
        platform, login.headers["Location"], tool_url + launch_path, user_id, role, context_id
    )
    launch = browser.post(redirect_uri, data=form, allow_redirects=False, timeout=30)
    if launch.status_code not in (200, 302, 303):
        raise RuntimeError(f"launch answered {launch.status_code}: {page_words(launch.text)}")
    if expect_text and launch.status_code == 200 and expect_text not in launch.text:
        raise RuntimeError(f"launch page lacks {expect_text!r}: {launch.text[:300]}")
    if follow and launch.status_code == 200:
        # The page came in the launch response; Content-Location names its own GET URL.
        location = launch.headers.get("Content-Location", "")
        browser.last_url = requests.compat.urljoin(tool_url, location)  # type: ignore[attr-defined]
    if follow and launch.status_code in (302, 303):
        home = browser.get(
            requests.compat.urljoin(tool_url, launch.headers["Location"]), timeout=30
        )
        if home.status_code != 200:
            raise RuntimeError(f"course home answered {home.status_code}")
        if expect_text and expect_text not in home.text:
            raise RuntimeError(f"course home lacks {expect_text!r}: {home.text[:300]}")
        browser.last_url = home.url  # type: ignore[attr-defined]
    if session is None:
        browser.close()
    return time.perf_counter() - started


@dataclass
class Figures:
    """Throughput and latency of one run."""

    count: int
    errors: int
    seconds: float
    p50: float
    p95: float
    durations: tuple[float, ...] = ()
    cpu_ms: float = 0.0  # the server's CPU per operation, where the bench measured it

    @classmethod
    def combined(cls, parts: list[Figures]) -> Figures:
        """One summary of several runs (rounds of the same measurement)."""
        durations = sorted(d for part in parts for d in part.durations) or [0.0]
        p95 = durations[min(len(durations) - 1, int(len(durations) * 0.95))]
        return cls(
            sum(p.count for p in parts),
            sum(p.errors for p in parts),
            sum(p.seconds for p in parts),
            statistics.median(durations),
            p95,
            tuple(durations),
        )

    @property
    def per_second(self) -> float:
        """Completed operations per second."""
        return self.count / self.seconds if self.seconds else 0.0

    def line(self, name: str) -> str:
        """A printable summary."""
        return (
            f"{name:<34} {self.per_second:8.1f}/s  p50 {self.p50 * 1000:7.1f} ms  "
            f"p95 {self.p95 * 1000:7.1f} ms  errors {self.errors}/{self.count + self.errors}"
        )


def page_words(html: str, limit: int = 300) -> str:
    """What an error page says (its text inside <main>, tags and white space folded)."""
    main = re.search(r"<main[^>]*>(.*?)</main>", html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(1) if main else html)
    return " ".join(text.split())[:limit]


def measure(job: Callable[[int], float], count: int, concurrency: int, start: int = 0) -> Figures:
    """Run `job(i)` for start <= i < start + count on `concurrency` threads; errors counted."""
    durations: list[float] = []
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            durations.append(job(i))
        except Exception as error:
            errors.append(str(error)[:200])

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, range(start, start + count)))
    elapsed = time.perf_counter() - started
    if errors:
        sys.stderr.write(f"first error: {errors[0]}\n")
    ordered = sorted(durations) or [0.0]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return Figures(
        len(durations), len(errors), elapsed, statistics.median(ordered), p95, tuple(durations)
    )
