"""The grade worker thread: woken after commits that queued scores, else polling.

Flask-free: `jobs.grade_delivery` gives it `run_cycle`, a callable that opens an app context,
pushes due outbox entries (expired leases included) and returns how many it handled. The
database outbox stays the source of truth; waking is only a hint, so a lost wake-up costs at
most one poll interval, and a lease a dead worker left is taken over within lease + one poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)


class OutboxWorker:
    """A daemon thread that calls `run_cycle` when woken or every `poll_interval` seconds.

    Args:
        run_cycle: sends due entries; returns the number handled (0: nothing was due).
        poll_interval: seconds between polls when nobody wakes the worker.
    """

    def __init__(self, run_cycle: Callable[[], int], poll_interval: float = 5.0) -> None:
        self._run_cycle = run_cycle
        self._poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def is_running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> OutboxWorker:
        """Start the thread (once)."""
        with self._lock:
            if not self.is_running:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._loop, name="lti_pl-grade-worker", daemon=True
                )
                self._thread.start()
        return self

    def wake(self) -> None:
        """Run a cycle soon (after a request queued scores)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current cycle."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self._run_cycle() > 0 and not self._stop.is_set():
                    pass  # a full batch: keep going until nothing is due
            except Exception:
                logger.exception("grade worker cycle failed")


def mode_for(config: Mapping[str, Any]) -> str:
    """The worker mode: thread (in-process), rq (Redis wakes `lti-pl worker`), external.

    "auto" (the default) is rq when LTI_PL_REDIS_URL is set, else thread; rq without Redis
    falls back to thread.
    """
    mode = str(config.get("LTI_PL_WORKER") or "auto")
    has_redis = bool(config.get("LTI_PL_REDIS_URL"))
    if mode == "auto":
        return "rq" if has_redis else "thread"
    if mode == "rq" and not has_redis:
        return "thread"
    return mode
