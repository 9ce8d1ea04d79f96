"""Private signing keys encrypted at rest with LTI_PL_KEY_ENCRYPTION_KEY (Fernet)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from lti_pl.lti import keys
from lti_pl.lti.keys import KeyEncryptionError
from lti_pl.models.base import utcnow
from lti_pl.models.platforms import ToolKey


@pytest.fixture
def secret(app):
    value = Fernet.generate_key().decode()
    app.config["LTI_PL_KEY_ENCRYPTION_KEY"] = value
    return value


def test_rotation_encrypts_new_and_old_plain_keys(app, runner, tool_jwks, secret):
    plain = [k for k in keys_in_db() if "PRIVATE KEY" in k.private_pem]
    assert plain  # the fixture's key was stored before encryption was configured
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    stored = keys_in_db()
    assert len(stored) >= 2
    for key in stored:
        assert "PRIVATE KEY" not in key.private_pem
        assert key.private_pem.startswith("fernet:")
        assert keys.private_pem(key).startswith("-----BEGIN PRIVATE KEY-----")


def test_the_tool_signs_with_the_decrypted_key(app, runner, tool_jwks, secret):
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    tool_conf = app.extensions["lti_pl"].tool_conf
    tool_conf.forget_signing_key()
    kid, pem = tool_conf.signing_key()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert kid == keys.current_key().kid


def test_plain_keys_stay_readable_without_an_encryption_key(app, tool_jwks):
    (key, *_) = keys_in_db()
    assert keys.private_pem(key) == key.private_pem


def test_a_wrong_encryption_key_is_a_clear_error(app, db_session, secret):
    key = keys.generate_key(utcnow())
    assert key.private_pem.startswith("fernet:")
    with pytest.raises(KeyEncryptionError, match="does not open"):
        keys.private_pem(key, secret=Fernet.generate_key().decode())
    app.config["LTI_PL_KEY_ENCRYPTION_KEY"] = ""
    with pytest.raises(KeyEncryptionError, match="set LTI_PL_KEY_ENCRYPTION_KEY"):
        keys.private_pem(key)


def test_the_encryption_key_can_be_changed_with_a_list(app, db_session, secret):
    key = keys.generate_key(utcnow())
    newer = Fernet.generate_key().decode()
    assert keys.private_pem(key, secret=f"{newer},{secret}").startswith("-----BEGIN")


def keys_in_db():
    from lti_pl.extensions import db

    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.id)))
