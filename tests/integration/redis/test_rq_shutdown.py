"""`lti-pl worker` (RQ) stops on SIGTERM within its grace period: what it needs of redis-py.

RQ's worker listens for commands in a redis-py pubsub thread that sleeps up to 60 s in
get_message; on shutdown RQ unsubscribes, calls the thread's stop() and then joins it for at most
a second. redis 8.2 made stop() itself wait for the thread: under load the thread could go back to
sleep first, and the worker hung for a minute past SIGTERM (killed by the test, as a supervisor
would kill it). pyproject.toml keeps redis below 8.2 for that; this test fails on 8.2.
"""

from __future__ import annotations

import os

import pytest
import redis

REDIS_URL = os.environ.get("LTI_PL_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="LTI_PL_TEST_REDIS_URL not set")


def test_stopping_a_pubsub_thread_does_not_wait_for_its_sleep():
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub()  # type: ignore[arg-type]
    pubsub.subscribe(**{"lti_pl:test:rq-shutdown": lambda _message: None})
    thread = pubsub.run_in_thread(sleep_time=3, daemon=True)
    thread.stop()
    # The flag is down and the thread still asleep in get_message: RQ's own join(timeout=1)
    # bounds the wait. redis 8.2's stop() joins the thread: it returns only once the thread is
    # gone, which is a whole sleep later when the thread went back to sleep first.
    assert thread.is_alive()
    thread.join(10)  # it wakes, sees the flag and closes its pubsub itself
    assert not thread.is_alive()
