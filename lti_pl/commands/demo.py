"""`lti-pl demo`: the tool on SQLite plus the built-in sandbox LMS, ready to try in a browser."""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from lti_pl.config import instance_path

DEMO_FOLDER = "demo"


def _quiet_logging() -> None:
    """One line per meaningful event, each once.

    The tool's logger keeps its own handler and stops propagating (it was echoed a second time
    by the root handler Alembic's ini installs when the root has none); the root gets a
    warnings-only handler, so migrations and libraries speak only when something is wrong.
    """
    logging.getLogger("lti_pl").propagate = False
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


@contextmanager
def _only_warnings(name: str) -> Iterator[None]:
    """Seeding writes hundreds of rows through the services; their INFO lines are not news."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface for both apps.")
@click.option("--port", default=8000, show_default=True, type=int, help="The tool's port.")
@click.option("--sandbox-port", default=8001, show_default=True, type=int, help="The sandbox LMS.")
@click.option("--empty", is_flag=True, help="A blank course: people only, no targets or boards.")
@click.option("--reset", is_flag=True, help="Delete the demo's data first and start afresh.")
def command(host: str, port: int, sandbox_port: int, empty: bool, reset: bool) -> None:
    """Run the tool with a sandbox LMS and a demo course; open the printed URL. Ctrl-C stops."""
    from lti_pl import create_app
    from lti_pl.database import SERVE_THREADS
    from lti_pl.models.base import utcnow
    from lti_pl.sandbox import SandboxServer
    from lti_pl.sandbox.setup import prepare_tool, register_sandbox, seed_demo_course
    from lti_pl.server import run_gunicorn

    folder = instance_path() / DEMO_FOLDER
    if reset and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, number in (("tool", port), ("sandbox", sandbox_port)):
        if not _port_free(host, number):
            raise click.ClickException(
                f"port {number} ({name}) is in use: stop what runs there or pass --"
                f"{'port' if name == 'tool' else 'sandbox-port'} N"
            )
    tool_url = f"http://{host}:{port}"
    app = create_app(
        {
            # The demo keeps its own SQLite file: it never mixes with a real database.
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lti_pl_demo.sqlite3'}",
            "LTI_PL_BASE_URL": tool_url,
            "LTI_PL_SANDBOX": True,
            "LTI_PL_REDIS_URL": None,
            "LTI_PL_WORKER": "thread",
            "LTI_PL_PROXY_HOPS": 0,
            "LTI_PL_UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    _quiet_logging()
    now = utcnow()
    with _only_warnings("lti_pl"):
        prepare_tool(app, now=now)
        sandbox = SandboxServer(folder / "sandbox", tool_url, host=host, port=sandbox_port)
        register_sandbox(app, sandbox.platform)
        sandbox.start()
    owner = os.getpid()
    try:
        with _only_warnings("lti_pl"):
            seeded = seed_demo_course(app, sandbox.platform, now=now, content=not empty)
            sandbox.platform.ensure_default_link()
        _announce(sandbox.url, tool_url, folder, seeded)
        # The tool runs on the production server path (gunicorn); the sandbox stays in this
        # process on its own thread and port.
        run_gunicorn(app, host=host, port=port, workers=1, threads=SERVE_THREADS)
    finally:
        # gunicorn's worker is a fork of this process: its exit unwinds through here too, and
        # only the process that started the sandbox stops it and says so.
        if os.getpid() == owner:
            sandbox.stop()
            click.echo("demo stopped")


def _announce(sandbox_url: str, tool_url: str, folder: Path, seeded: bool) -> None:
    line = "=" * 64
    click.echo(line)
    click.echo("lti_pl demo is starting")
    click.echo(f"  Open the sandbox LMS:  {sandbox_url}/")
    click.echo(f"  The tool (LTI 1.3):    {tool_url}/  (registered with the sandbox)")
    click.echo(f"  Gradebook (AGS/NRPS):  {sandbox_url}/gradebook")
    click.echo(f"  Demo data:             {folder}  ({'new course' if seeded else 'kept'})")
    click.echo("  Pick a person on the course page and press 'Launch as…'. Ctrl-C stops.")
    click.echo(line)
