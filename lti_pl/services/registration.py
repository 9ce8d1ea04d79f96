"""Store a platform registration from LTI Dynamic Registration."""

from __future__ import annotations

from lti_pl.lti.dynamic_registration import PlatformRegistration
from lti_pl.models.platforms import Platform
from lti_pl.services.platforms import RegistrationSpec, upsert_registration


def store_dynamic_registration(result: PlatformRegistration) -> Platform:
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
    return upsert_registration(spec)
