"""The tool's signing keys: generation, rotation and the public JWKS (joserfc, authlib's JOSE)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from sqlalchemy import or_, select

from lti_pl.extensions import db
from lti_pl.models.platforms import ToolKey

PUBLIC_MEMBERS = ("kty", "n", "e")


def generate_key(now: datetime) -> ToolKey:
    """A new 2048-bit RSA key with a random kid (not yet added to the session)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = uuid.uuid4().hex
    public = RSAKey.import_key(pem).as_dict(private=False)
    jwk = {m: public[m] for m in PUBLIC_MEMBERS} | {"kid": kid, "alg": "RS256", "use": "sig"}
    return ToolKey(kid=kid, private_pem=pem, public_jwk=jwk, created_at=now)


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
    """Retire the current key (it stays published for the grace period) and add a new one."""
    for key in db.session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))):
        key.retired_at = now
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
