"""The replay store: a nonce is accepted once. Redis when configured, else the database."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, text
from sqlalchemy.exc import IntegrityError

from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce
from lti_pl.stores import MemoryStore, Store

# Both dialects say "insert unless the unique key exists" the same way. A typed text() rather
# than the dialects' insert().on_conflict_do_nothing(): those carry no cache key, so SQLAlchemy
# would compile the statement again on every launch.
_UPSERT_DIALECTS = frozenset({"sqlite", "postgresql"})


@functools.cache
def _upsert_statement() -> Any:
    """INSERT INTO used_nonce ... ON CONFLICT DO NOTHING RETURNING id, built once."""
    table = UsedNonce.__table__
    return text(
        f"INSERT INTO {table.name} (issuer, nonce, expires_at) "  # noqa: S608 - our table name
        "VALUES (:issuer, :nonce, :expires_at) ON CONFLICT DO NOTHING RETURNING id"
    ).bindparams(
        bindparam("issuer", type_=table.c.issuer.type),
        bindparam("nonce", type_=table.c.nonce.type),
        bindparam("expires_at", type_=table.c.expires_at.type),
    )


def database_nonce_store(clock: Callable[[], datetime]) -> Callable[[str, str, int], bool]:
    """A nonce store that inserts into `used_nonce`; the unique key refuses a second use.

    On SQLite and PostgreSQL one `INSERT ... ON CONFLICT DO NOTHING RETURNING id` per launch (a
    returned row says the nonce was new); elsewhere an ORM insert in a savepoint.
    """

    def seen_first_time(issuer: str, nonce: str, ttl: int) -> bool:
        now = clock()
        digest = hashlib.sha256(nonce.encode()).hexdigest()
        values = {"issuer": issuer, "nonce": digest, "expires_at": now + timedelta(seconds=ttl)}
        if db.session.get_bind().dialect.name in _UPSERT_DIALECTS:
            return db.session.execute(_upsert_statement(), values).first() is not None
        try:
            with db.session.begin_nested():
                db.session.add(UsedNonce(**values))
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
