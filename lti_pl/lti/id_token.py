"""Checks on the id_token itself: an unverified peek (to pick a reason), and the RS256 signature."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jwt

from lti_pl.lti.jwks_cache import KeySetCache
from lti_pl.lti.launch_errors import LaunchError
from lti_pl.lti.tool_config import RegistrationRecord

LEEWAY = 60  # seconds of clock skew accepted on exp / iat


def unverified_claims(id_token: str) -> dict[str, Any]:
    """The body of a JWT without checking it (only to choose a registration or a reason)."""
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError) as error:
        raise LaunchError("malformed_token") from error
    if not isinstance(data, dict):
        raise LaunchError("malformed_token")
    return data


def verify_signature(
    keys: KeySetCache,
    id_token: str,
    header: Mapping[str, Any],
    body: Mapping[str, Any],
    record: RegistrationRecord,
) -> None:
    """RS256 only, with aud / azp, iss, exp and iat checked (pylti1p3 skips aud)."""
    if header.get("alg") != "RS256":
        raise LaunchError("bad_signature", "alg is not RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LaunchError("unknown_key", "no kid")
    key = keys.key_for(record, kid)
    try:
        jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=record.client_id,
            issuer=record.issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
        )
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as error:
        raise LaunchError("expired") from error
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
        raise LaunchError("wrong_audience") from error
    except jwt.MissingRequiredClaimError as error:
        raise LaunchError("bad_message", f"missing {error.claim}") from error
    except jwt.InvalidTokenError as error:
        raise LaunchError("bad_signature", type(error).__name__) from error
    aud = body.get("aud")
    azp = body.get("azp")
    if (isinstance(aud, list) and len(aud) > 1 and azp is None) or (
        azp is not None and azp != record.client_id
    ):
        raise LaunchError("wrong_audience", "azp")
