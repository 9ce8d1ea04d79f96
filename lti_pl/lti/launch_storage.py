"""The replay store: a nonce is accepted once. Redis when configured, else the database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeAlias

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from lti_pl.database import UPSERT_DIALECTS, insert_unless_exists, insert_values
from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce
from lti_pl.stores import MemoryStore, Store


class DatabaseNonces:
    """Nonces in `used_nonce`; the unique key refuses a second use, in the request's transaction.

    On SQLite and PostgreSQL one `INSERT ... ON CONFLICT DO NOTHING RETURNING id` per launch (a
    returned row says the nonce was new); elsewhere an ORM insert in a savepoint. Kept hashed.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def first_use(self, issuer: str, nonce: str, ttl: int) -> bool:
        """Record the nonce; True when it was new (the launch's one replay-store write)."""
        now = self.clock()
        values = {
            "issuer": issuer,
            "nonce": _digest(nonce),
            "expires_at": now + timedelta(seconds=ttl),
        }
        if db.session.get_bind().dialect.name in UPSERT_DIALECTS:
            table = UsedNonce.__table__
            statement = insert_unless_exists(table)
            return db.session.execute(statement, insert_values(table, values)).first() is not None
        try:
            with db.session.begin_nested():
                db.session.add(UsedNonce(**values))
        except IntegrityError:
            return False
        return True

    def was_used(self, issuer: str, nonce: str) -> bool:
        """Whether the nonce was accepted before (a refused launch's reason: "replayed")."""
        found = db.session.scalar(
            select(UsedNonce.id).where(
                UsedNonce.issuer == issuer, UsedNonce.nonce == _digest(nonce)
            )
        )
        return found is not None


class StoreNonces:
    """Nonces on the shared key-value store: one SET NX per launch (Redis), kept hashed."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def first_use(self, issuer: str, nonce: str, ttl: int) -> bool:
        """Record the nonce; True when it was new (the launch's one replay-store write)."""
        return self.store.add(_key(issuer, nonce), 1, ttl)

    def was_used(self, issuer: str, nonce: str) -> bool:
        """Whether the nonce was accepted before (a refused launch's reason: "replayed")."""
        return self.store.get(_key(issuer, nonce)) is not None


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _key(issuer: str, nonce: str) -> str:
    # The key earlier versions also wrote for every accepted nonce: a nonce accepted just before
    # an upgrade is still refused after it.
    return "nonce:" + hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()


NonceStore: TypeAlias = DatabaseNonces | StoreNonces


def purge_expired_nonces(now: datetime) -> int:
    """Delete nonces past their expiry; returns how many."""
    result = db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)


def nonce_store_for(store: Store, clock: Callable[[], datetime]) -> NonceStore:
    """Redis's SET NX when the store is shared, the database otherwise."""
    if isinstance(store, MemoryStore):
        return DatabaseNonces(clock)
    return StoreNonces(store)
