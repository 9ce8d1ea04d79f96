"""GET requests read only: under TESTING a write in one not declared as writing fails loudly.

On SQLite a reading request begins DEFERRED (see lti_pl.database.tune_sqlite);
a write in it would fail with "database is locked" under concurrent load only. The guard makes
every GET the suite requests prove it does not write.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lti_pl import WRITING_GET_ENDPOINTS, WriteInReadingRequestError
from lti_pl.extensions import db
from lti_pl.models.platforms import UsedNonce


def _add_writing_route(app, rule: str, endpoint: str) -> None:
    def writes() -> str:
        db.session.add(UsedNonce(issuer="x", nonce=endpoint, expires_at=datetime.now(UTC)))
        db.session.flush()
        return "wrote"

    app.add_url_rule(rule, endpoint, writes, methods=["GET", "POST"])


def test_a_get_that_writes_is_refused(app, client):
    _add_writing_route(app, "/__writes", "writes_on_get")
    with pytest.raises(WriteInReadingRequestError, match="writes_on_get"):
        client.get("/__writes")


def test_the_same_write_in_a_post_is_fine(app, client):
    _add_writing_route(app, "/__writes", "writes_on_post")
    assert client.post("/__writes").get_data(as_text=True) == "wrote"


def test_declared_writing_gets_may_write(app, client):
    assert "lti.jwks" in WRITING_GET_ENDPOINTS
    response = client.get("/lti/jwks.json")  # the first request creates the signing key
    assert response.status_code == 200
    assert response.get_json()["keys"]
