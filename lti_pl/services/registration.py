"""Dynamic Registration with an administrator's consent: invites, the allow-list, storing.

A platform may register itself only through a one-time link an administrator created
(`lti-pl platforms invite`) or, when the operator configured an allow-list of issuers, from one
of those issuers. Without either, `/lti/register` refuses before fetching anything.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from lti_pl.extensions import db
from lti_pl.lti.dynamic_registration import PlatformRegistration, RegistrationError
from lti_pl.models.platforms import Platform
from lti_pl.models.security import RegistrationInvite
from lti_pl.services.platforms import RegistrationSpec, upsert_registration

#: Characters of an invite secret (token_urlsafe(24) gives 32).
INVITE_MAX_LENGTH = 64


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_invite(now: datetime, valid_for: timedelta) -> tuple[RegistrationInvite, str]:
    """A new one-time registration invite.

    Returns:
        The row and the secret for the link (shown once; only its hash is stored).
    """
    secret = secrets.token_urlsafe(24)
    invite = RegistrationInvite(
        token_hash=_hash(secret), created_at=now, expires_at=now + valid_for
    )
    db.session.add(invite)
    db.session.flush()
    return invite, secret


def claim_invite(secret: str, now: datetime) -> RegistrationInvite:
    """Mark an unused, unexpired invite used (atomically: two registrations cannot share one).

    The claim is flushed, not committed: a registration that then fails rolls it back with the
    request, so the administrator's link still works for a second try.

    Raises:
        RegistrationError: `no_consent` for an unknown, used or expired invite.
    """
    if not secret or len(secret) > INVITE_MAX_LENGTH:
        raise RegistrationError("No valid registration invite.", "no_consent")
    token_hash = _hash(secret)
    claimed = db.session.execute(
        update(RegistrationInvite)
        .where(
            RegistrationInvite.token_hash == token_hash,
            RegistrationInvite.used_at.is_(None),
            RegistrationInvite.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise RegistrationError("No valid registration invite.", "no_consent")
    invite = db.session.scalars(
        db.select(RegistrationInvite).where(RegistrationInvite.token_hash == token_hash)
    ).one()
    return invite


def store_dynamic_registration(
    result: PlatformRegistration, invite: RegistrationInvite | None = None
) -> Platform:
    """Create or update the Platform (and its Deployment) the platform registered us as."""
    spec = RegistrationSpec(
        issuer=result.issuer,
        client_id=result.client_id,
        auth_login_url=result.auth_login_url,
        auth_token_url=result.auth_token_url,
        key_set_url=result.key_set_url,
        key_set=None,
        auth_audience=result.auth_audience,
        deployment_ids=(result.deployment_id,) if result.deployment_id else (),
        is_default=False,
        name=result.name or result.issuer,
    )
    platform = upsert_registration(spec)
    if invite is not None:
        invite.platform_id = platform.id
    return platform
