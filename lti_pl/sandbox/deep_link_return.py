"""What the sandbox does with a tool's Deep Linking response."""

from __future__ import annotations

import logging
from typing import Any

from lti_pl.sandbox.protocol import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    DL,
    LTI,
    SandboxError,
    now_iso,
)

logger = logging.getLogger(__name__)


class DeepLinkReturns:
    """Accepting LtiDeepLinkingResponse messages (part of SandboxPlatform)."""

    def accept_deep_linking_response(self, token: str) -> list[dict[str, Any]]:
        """Verify an LtiDeepLinkingResponse (signed by the tool) and add its links."""
        claims = self.verify_tool_jwt(token, self.issuer)
        ok = (
            claims.get("iss") == CLIENT_ID
            and claims.get(LTI + "deployment_id") == DEPLOYMENT_ID
            and claims.get(LTI + "message_type") == "LtiDeepLinkingResponse"
            and claims.get(LTI + "version") == "1.3.0"
            and bool(claims.get("nonce"))
        )
        if not ok:
            raise SandboxError("the deep linking response has wrong or missing claims")
        items = claims.get(DL + "content_items") or []
        added = self.add_links(items if isinstance(items, list) else [])
        with self.lock:
            self.state["deep_link_returns"] = [
                *self.state["deep_link_returns"][-19:],
                {"at": now_iso(), "added": [link["title"] for link in added]},
            ]
            self.save()
        return added
