"""The replay store: a nonce is accepted once. Redis when configured, else the database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce
from lti_pl.stores import MemoryStore, Store


def database_nonce_store(clock: Callable[[], datetime]) -> Callable[[str, str, int], bool]:
    """A nonce store that inserts into `used_nonce`; the unique key refuses a second use."""

    def seen_first_time(issuer: str, nonce: str, ttl: int) -> bool:
        now = clock()
        digest = hashlib.sha256(nonce.encode()).hexdigest()
        try:
            with db.session.begin_nested():
                db.session.add(
                    UsedNonce(issuer=issuer, nonce=digest, expires_at=now + timedelta(seconds=ttl))
                )
        except IntegrityError:
            return False
        return True

    return seen_first_time


def store_nonce_store(store: Store) -> Callable[[str, str, int], bool]:
    """A nonce store on the shared key-value store (Redis SET NX)."""

    def seen_first_time(issuer: str, nonce: str, ttl: int) -> bool:
        digest = hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()
        return store.add("used-nonce:" + digest, 1, ttl)

    return seen_first_time


def purge_expired_nonces(now: datetime) -> int:
    """Delete nonces past their expiry; returns how many."""
    result = db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)


def nonce_store_for(store: Store, clock: Callable[[], datetime]) -> Callable[[str, str, int], bool]:
    """Redis's SET NX when the store is shared, the database otherwise."""
    if isinstance(store, MemoryStore):
        return database_nonce_store(clock)
    return store_nonce_store(store)
