"""The tool's signing keys: generation, rotation and the public JWKS (joserfc, authlib's JOSE).

Private keys are encrypted at rest with Fernet (the `cryptography` package) when
LTI_PL_KEY_ENCRYPTION_KEY is set (one key from `Fernet.generate_key()`, or several separated by
commas, the first encrypting and all decrypting, for changing it). A key stored before that is
still read as plain PEM, and `lti-pl keys rotate` encrypts every stored key.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app, has_app_context
from joserfc.jwk import RSAKey
from sqlalchemy import or_, select

from lti_pl.extensions import db
from lti_pl.models.platforms import ToolKey

PUBLIC_MEMBERS = ("kty", "n", "e")
ENCRYPTED_PREFIX = "fernet:"


class KeyEncryptionError(RuntimeError):
    """A stored private key cannot be decrypted (wrong or missing LTI_PL_KEY_ENCRYPTION_KEY)."""


def _fernet(secret: str | None = None) -> MultiFernet | None:
    if secret is None and has_app_context():
        secret = current_app.config.get("LTI_PL_KEY_ENCRYPTION_KEY") or ""
    keys = [k.strip() for k in (secret or "").split(",") if k.strip()]
    return MultiFernet([Fernet(k.encode()) for k in keys]) if keys else None


def seal(pem: str, secret: str | None = None) -> str:
    """The PEM as stored: encrypted when an encryption key is configured, else unchanged."""
    fernet = _fernet(secret)
    if fernet is None or pem.startswith(ENCRYPTED_PREFIX):
        return pem
    return ENCRYPTED_PREFIX + fernet.encrypt(pem.encode()).decode()


def private_pem(key: ToolKey, secret: str | None = None) -> str:
    """The key's private PEM, decrypted if it is stored encrypted.

    Raises:
        KeyEncryptionError: encrypted, and no configured key opens it.
    """
    stored = key.private_pem
    if not stored.startswith(ENCRYPTED_PREFIX):
        return stored  # stored before encryption was configured
    fernet = _fernet(secret)
    if fernet is None:
        raise KeyEncryptionError(f"key {key.kid} is encrypted: set LTI_PL_KEY_ENCRYPTION_KEY")
    try:
        return fernet.decrypt(stored.removeprefix(ENCRYPTED_PREFIX).encode()).decode()
    except InvalidToken as error:
        raise KeyEncryptionError(
            f"LTI_PL_KEY_ENCRYPTION_KEY does not open key {key.kid}"
        ) from error


def new_private_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A fresh 2048-bit RSA private key and its unencrypted PKCS #8 PEM."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private, pem


def generate_key(now: datetime) -> ToolKey:
    """A new 2048-bit RSA key with a random kid (not yet added to the session)."""
    _, pem = new_private_key()
    kid = uuid.uuid4().hex
    public = RSAKey.import_key(pem).as_dict(private=False)
    jwk = {m: public[m] for m in PUBLIC_MEMBERS} | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(kid=kid, private_pem=seal(pem), public_jwk=jwk, created_at=now)


def current_key() -> ToolKey | None:
    """The newest key that is not retired."""
    return db.session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc()).limit(1)
    ).first()


def ensure_key(now: datetime) -> ToolKey:
    """The current key, creating the first one when the tool has none."""
    key = current_key()
    if key is None:
        key = generate_key(now)
        db.session.add(key)
        db.session.flush()
    return key


def rotate(now: datetime) -> ToolKey:
    """Retire the current key (it stays published for the grace period) and add a new one.

    With an encryption key configured, every stored key still in plain PEM is encrypted too.
    """
    for key in db.session.scalars(select(ToolKey)):
        if key.retired_at is None:
            key.retired_at = now
        if not key.private_pem.startswith(ENCRYPTED_PREFIX):
            key.private_pem = seal(key.private_pem)
    key = generate_key(now)
    db.session.add(key)
    db.session.flush()
    return key


def public_jwks(now: datetime, grace: timedelta) -> dict[str, Any]:
    """The JWKS: the current key and keys retired less than `grace` ago. Public members only."""
    keys = db.session.scalars(
        select(ToolKey)
        .where(or_(ToolKey.retired_at.is_(None), ToolKey.retired_at > now - grace))
        .order_by(ToolKey.id.desc())
    )
    return {
        "keys": [
            {k: v for k, v in key.public_jwk.items() if k in {*PUBLIC_MEMBERS, "kid", "alg", "use"}}
            for key in keys
        ]
    }
