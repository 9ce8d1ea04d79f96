"""What a worker of `lti-pl serve` does once instead of on its requests: connections it keeps for
all its threads, and page templates compiled before it forks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import event

from lti_pl import server
from lti_pl.database import SERVE_THREADS
from lti_pl.extensions import db
from tests.support.grades import scratch_app, scratch_database, tool_environment


def test_a_worker_busy_on_all_its_threads_keeps_its_connections(tmp_path: Path):
    """Rounds of `SERVE_THREADS` concurrent requests open each connection once; with a pool
    smaller than the threads every round opened (and closed) the ones beyond it again."""
    with scratch_database(tmp_path) as url:
        app = scratch_app(tool_environment(url, tmp_path / "instance"))
        with app.app_context():
            engine = db.engine
        opened: list[int] = []
        event.listen(engine, "connect", lambda *_: opened.append(1))
        together = threading.Barrier(SERVE_THREADS)

        def request_like() -> None:
            connection = engine.raw_connection()  # checked out of the pool, as a request's
            try:
                together.wait(timeout=30)  # all threads hold one at once
            finally:
                connection.close()  # back to the pool

        try:
            per_round = []
            for _ in range(3):
                threads = [threading.Thread(target=request_like) for _ in range(SERVE_THREADS)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=60)
                per_round.append(len(opened))
                opened.clear()
            assert 1 <= per_round[0] <= SERVE_THREADS
            assert per_round[1:] == [0, 0], per_round
        finally:
            engine.dispose()


class _NotServing:
    """Stands in for gunicorn: records what the app had compiled when serving would start."""

    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.app = app

    def run(self) -> None:
        _NotServing.seen["cached"] = {key[1] for key in self.app.jinja_env.cache}


def test_serve_compiles_every_page_template_before_the_workers_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with scratch_database(tmp_path) as url:
        app = scratch_app(tool_environment(url, tmp_path / "instance"))
        monkeypatch.setattr(server, "_Gunicorn", _NotServing)
        server.run_gunicorn(app, host="127.0.0.1", port=8000, workers=1, threads=SERVE_THREADS)
        pages = set(app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html")))
        assert {"base.html", "student/home.html", "instructor/home.html"} <= pages
        assert _NotServing.seen["cached"] == pages
