"""Short-lived shared state (OIDC state, JWKS, throttles): Redis when configured, else in-process.

A Redis outage must not stop launches: every Redis call falls back to the in-process store and logs
once, so a single-process deployment keeps working and a multi-process one degrades to per-worker
state (a launch that lands on another worker is asked to start again) instead of failing with 500.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Store(Protocol):
    """A small key-value store with expiry."""

    def get(self, key: str) -> Any:
        """The value, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl: int) -> None:
        """Store a JSON-serialisable value for ttl seconds."""

    def pop(self, key: str) -> Any:
        """Remove and return the value atomically (None when absent)."""

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Store only if absent; True when stored."""

    def delete(self, key: str) -> None:
        """Remove the key."""


class MemoryStore:
    """A thread-safe in-process store (the embedded default)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] < self._clock():
            del self._data[key]
            return None
        return item[1]

    def _sweep(self) -> None:
        if len(self._data) > 10_000:
            now = self._clock()
            for key in [k for k, (exp, _) in self._data.items() if exp < now]:
                del self._data[key]

    def get(self, key: str) -> Any:
        """The value, or None."""
        with self._lock:
            raw = self._live(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int) -> None:
        """Store for ttl seconds."""
        with self._lock:
            self._sweep()
            self._data[key] = (self._clock() + ttl, json.dumps(value))

    def pop(self, key: str) -> Any:
        """Remove and return."""
        with self._lock:
            raw = self._live(key)
            self._data.pop(key, None)
        return None if raw is None else json.loads(raw)

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Store when absent."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (self._clock() + ttl, json.dumps(value))
            return True

    def delete(self, key: str) -> None:
        """Remove."""
        with self._lock:
            self._data.pop(key, None)


class RedisStore:
    """A Redis-backed store that falls back to memory while Redis is unreachable."""

    def __init__(self, url: str, prefix: str = "lti_pl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._fallback = MemoryStore()
        self._warned = False

    def _failed(self, error: BaseException) -> None:
        if not self._warned:
            logger.warning(
                "redis unavailable, using the in-process store: %s", type(error).__name__
            )
            self._warned = True

    def _ok(self) -> None:
        if self._warned:
            logger.info("redis reachable again")
            self._warned = False

    def get(self, key: str) -> Any:
        """The value, or None."""
        try:
            raw = self._redis.get(self._prefix + key)
        except self._errors as error:
            self._failed(error)
            return self._fallback.get(key)
        self._ok()
        return self._fallback.get(key) if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int) -> None:
        """Store for ttl seconds."""
        try:
            self._redis.set(self._prefix + key, json.dumps(value), ex=ttl)
        except self._errors as error:
            self._failed(error)
            self._fallback.set(key, value, ttl)

    def pop(self, key: str) -> Any:
        """Remove and return (GETDEL, atomic)."""
        try:
            raw = self._redis.getdel(self._prefix + key)
        except self._errors as error:
            self._failed(error)
            return self._fallback.pop(key)
        return self._fallback.pop(key) if raw is None else json.loads(raw)

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """SET NX."""
        try:
            return bool(self._redis.set(self._prefix + key, json.dumps(value), ex=ttl, nx=True))
        except self._errors as error:
            self._failed(error)
            return self._fallback.add(key, value, ttl)

    def delete(self, key: str) -> None:
        """Remove."""
        try:
            self._redis.delete(self._prefix + key)
        except self._errors as error:
            self._failed(error)
        self._fallback.delete(key)


def make_store(redis_url: str | None) -> Store:
    """The store for this deployment."""
    return RedisStore(redis_url) if redis_url else MemoryStore()
