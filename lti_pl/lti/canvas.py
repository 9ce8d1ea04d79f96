"""The Canvas developer-key JSON (Admin → Developer Keys → LTI key → Paste JSON)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lti_pl.lti.dynamic_registration import SCOPES, ToolUrls


def developer_key_json(urls: ToolUrls) -> dict[str, Any]:
    """The tool's LTI 1.3 configuration as Canvas reads it: placements, scopes, URLs, privacy."""
    placements = [
        {
            "placement": "course_navigation",
            "message_type": "LtiResourceLinkRequest",
            "target_link_uri": urls.launch_url,
            "text": urls.name,
            "enabled": True,
        },
        {
            "placement": "link_selection",
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": urls.launch_url,
            "text": f"{urls.name} content",
        },
        {
            "placement": "assignment_selection",
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": urls.launch_url,
            "text": f"{urls.name} mastery grade",
        },
    ]
    return {
        "title": urls.name,
        "description": urls.description,
        "oidc_initiation_url": urls.login_url,
        "target_link_uri": urls.launch_url,
        "public_jwk_url": urls.jwks_url,
        "scopes": list(SCOPES),
        "extensions": [
            {
                "domain": urlsplit(urls.base_url).netloc,
                "tool_id": "lti_pl",
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {"text": urls.name, "placements": placements},
            }
        ],
        "custom_fields": {},
    }
