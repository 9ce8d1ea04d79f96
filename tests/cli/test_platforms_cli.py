"""`lti-pl platforms import|list` and `lti-pl keys rotate`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lti_pl.lti import keys
from lti_pl.models.base import utcnow
from lti_pl.models.platforms import Deployment, Platform, ToolKey

REGISTRATION = {
    "https://canvas.example.edu": [
        {
            "default": True,
            "client_id": "10000000000001",
            "auth_login_url": "https://canvas.example.edu/api/lti/authorize_redirect",
            "auth_token_url": "https://canvas.example.edu/login/oauth2/token",
            "key_set_url": "https://canvas.example.edu/api/lti/security/jwks",
            "deployment_ids": ["1:abc", "2:def"],
        },
        {
            "client_id": "10000000000002",
            "auth_login_url": "https://canvas.example.edu/api/lti/authorize_redirect",
            "auth_token_url": "https://canvas.example.edu/login/oauth2/token",
            "key_set": {"keys": []},
            "deployment_ids": ["3:ghi"],
        },
    ],
    "https://moodle.example.edu": [
        {
            "client_id": "moodle-client",
            "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
            "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
            "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
            "deployment_ids": ["1"],
        }
    ],
}


def write(tmp_path: Path, data: object, name: str = "platforms.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def counts(db_session) -> tuple[int, int]:
    return (
        db_session.scalar(select(func.count()).select_from(Platform)),
        db_session.scalar(select(func.count()).select_from(Deployment)),
    )


def test_import_registers_many_clients_and_deployments_idempotently(runner, db_session, tmp_path):
    path = write(tmp_path, REGISTRATION)
    first = runner.invoke(args=["platforms", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert counts(db_session) == (3, 4)
    second = runner.invoke(args=["platforms", "import", str(path)])
    assert second.exit_code == 0
    assert counts(db_session) == (3, 4)
    listing = runner.invoke(args=["platforms", "list"])
    assert "client_id=10000000000001" in listing.output
    assert "deployments=1:abc,2:def" in listing.output
    assert "moodle-client" in listing.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ([], "JSON object"),
        ({"https://x.edu": [{"auth_login_url": "https://x.edu/a"}]}, "client_id is missing"),
        (
            {
                "https://x.edu": [
                    {
                        "client_id": "c",
                        "auth_login_url": "ftp://x",
                        "auth_token_url": "https://x/t",
                        "key_set_url": "https://x/k",
                        "deployment_ids": ["1"],
                    }
                ]
            },
            "auth_login_url must be an http(s) URL",
        ),
        (
            {
                "https://x.edu": [
                    {
                        "client_id": "c",
                        "auth_login_url": "https://x/a",
                        "auth_token_url": "https://x/t",
                        "deployment_ids": ["1"],
                    }
                ]
            },
            "key_set_url or key_set is required",
        ),
        (
            {
                "https://x.edu": [
                    {
                        "client_id": "c",
                        "auth_login_url": "https://x/a",
                        "auth_token_url": "https://x/t",
                        "key_set_url": "https://x/k",
                        "deployment_ids": "1",
                    }
                ]
            },
            "deployment_ids must be a list",
        ),
    ],
    ids=["syntax", "not-object", "no-client", "bad-url", "no-keys", "deployments-string"],
)
def test_broken_file_is_refused_with_one_line_and_changes_nothing(
    runner, db_session, tmp_path, content, reason
):
    good = dict(REGISTRATION)
    runner.invoke(args=["platforms", "import", str(write(tmp_path, good, "good.json"))])
    before = counts(db_session)
    result = runner.invoke(args=["platforms", "import", str(write(tmp_path, content))])
    assert result.exit_code == 2
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert counts(db_session) == before


def test_a_broken_second_entry_does_not_store_the_first(runner, db_session, tmp_path):
    data = {
        "https://a.edu": REGISTRATION["https://moodle.example.edu"],
        "https://b.edu": [{"client_id": "x"}],
    }
    result = runner.invoke(args=["platforms", "import", str(write(tmp_path, data))])
    assert result.exit_code == 2
    assert counts(db_session) == (0, 0)


def test_missing_file_is_a_one_line_error(runner, tmp_path):
    result = runner.invoke(args=["platforms", "import", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_keys_rotate_keeps_the_previous_public_key_for_the_grace_period(runner, db_session):
    keys.ensure_key(utcnow())
    db_session.commit()
    old = keys.current_key()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    new = keys.current_key()
    assert new.kid != old.kid
    assert new.kid in result.output
    jwks = keys.public_jwks(utcnow(), timedelta(days=7))
    assert [k["kid"] for k in jwks["keys"]] == [new.kid, old.kid]
    later = keys.public_jwks(utcnow() + timedelta(days=8), timedelta(days=7))
    assert [k["kid"] for k in later["keys"]] == [new.kid]
    assert db_session.scalar(select(func.count()).select_from(ToolKey)) == 2


def test_jwks_endpoint_publishes_public_members_only(client):
    response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    (key,) = response.get_json()["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}
    assert key["alg"] == "RS256"
