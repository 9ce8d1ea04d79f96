"""The database replay store: a nonce is accepted once per issuer, in the request's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from lti_pl.lti.launch_storage import DatabaseNonces
from lti_pl.models.platforms import UsedNonce

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_nonce_is_accepted_once_per_issuer(db_session):
    nonces = DatabaseNonces(lambda: NOW)
    # Rows other tests' live servers and worker threads committed outside this transaction.
    earlier = db_session.scalar(select(func.count()).select_from(UsedNonce))

    assert nonces.was_used("https://lms.test", "nonce-1") is False
    assert nonces.first_use("https://lms.test", "nonce-1", 60) is True
    assert nonces.first_use("https://lms.test", "nonce-1", 60) is False
    assert nonces.first_use("https://other.test", "nonce-1", 60) is True
    db_session.commit()

    assert nonces.first_use("https://lms.test", "nonce-1", 60) is False
    assert nonces.was_used("https://lms.test", "nonce-1") is True
    assert nonces.was_used("https://lms.test", "nonce-2") is False
    stored = db_session.scalars(select(UsedNonce.nonce)).all()
    assert "nonce-1" not in stored  # kept hashed
    assert db_session.scalar(select(func.count()).select_from(UsedNonce)) == earlier + 2
