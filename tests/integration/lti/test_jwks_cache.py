"""Platform keys after a rotation: a class launching at once gets one refetch, not errors."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from lti_pl.lti.jwks_cache import KeySetCache
from lti_pl.lti.launch_errors import LaunchError
from lti_pl.stores import MemoryStore
from tests.support.platform_emulator import make_rsa_key

URL = "https://lms.example/jwks"
RECORD = SimpleNamespace(key_set=None, key_set_url=URL)


class _WatchedStore(MemoryStore):
    """A store that says when a launch looks whether the refetch is still running."""

    def __init__(self) -> None:
        super().__init__()
        self.someone_waits = threading.Event()

    def get(self, key: str) -> Any:
        if key.startswith("jwks-refetch:") and super().get(key) == "fetching":
            self.someone_waits.set()
        return super().get(key)


class _SlowLms:
    """The LMS's JWKS endpoint; answers a refetch only once another launch is waiting."""

    def __init__(self, store: _WatchedStore, keys: list[dict[str, Any]]) -> None:
        self.store = store
        self.keys = keys
        self.fetches = 0

    def get(self, url: str, timeout: float) -> Any:
        self.fetches += 1
        self.store.someone_waits.wait(timeout=5)
        keys = list(self.keys)
        return SimpleNamespace(raise_for_status=lambda: None, json=lambda: {"keys": keys})


def test_launches_during_a_key_rotation_wait_for_the_one_refetch():
    _, old_jwk, _ = make_rsa_key()
    _, new_jwk, new_kid = make_rsa_key()
    store = _WatchedStore()
    store.set("jwks:" + URL, {"keys": [old_jwk]}, 3600)  # cached before the LMS rotated
    lms = _SlowLms(store, [old_jwk, new_jwk])
    cache = KeySetCache(store, lms, timeout=5)  # type: ignore[arg-type]
    results: dict[str, Any] = {}

    def launch(name: str) -> None:
        try:
            results[name] = cache.key_for(RECORD, new_kid)  # type: ignore[arg-type]
        except LaunchError as error:
            results[name] = error

    threads = [threading.Thread(target=launch, args=(n,)) for n in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not isinstance(r, LaunchError) for r in results.values()), results
    assert len(results) == 2
    assert lms.fetches == 1


def test_a_forged_kid_costs_one_refetch_per_throttle_window():
    _, jwk, _ = make_rsa_key()
    store = _WatchedStore()
    store.someone_waits.set()  # nothing to wait for
    lms = _SlowLms(store, [jwk])
    cache = KeySetCache(store, lms, timeout=5)  # type: ignore[arg-type]
    for _ in range(3):  # a forger's tries: one refetch in the throttle window, then refusals
        with pytest.raises(LaunchError) as refused:
            cache.key_for(RECORD, "forged-kid")  # type: ignore[arg-type]
        assert refused.value.code == "unknown_key"
    assert lms.fetches == 2  # the first read of the key set, and one refetch
