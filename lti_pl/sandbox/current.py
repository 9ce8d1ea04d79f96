"""What build_sandbox_app attaches to the app, as the sandbox's views read it."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from flask import Flask, current_app

from lti_pl.sandbox.oidc import LaunchHints
from lti_pl.sandbox.platform import SandboxPlatform

PLATFORM_KEY = "lti_pl_sandbox"
HINTS_KEY = "lti_pl_sandbox_hints"


def attach(app: Flask, platform: SandboxPlatform, hints: LaunchHints) -> None:
    """Give the app its platform and its launch hint signer."""
    app.extensions[PLATFORM_KEY] = platform
    app.extensions[HINTS_KEY] = hints


def sandbox_platform() -> SandboxPlatform:
    """The platform of the app handling the request."""
    return cast(SandboxPlatform, current_app.extensions[PLATFORM_KEY])


def launch_hints() -> LaunchHints:
    """The launch hint signer of the app handling the request."""
    return cast(LaunchHints, current_app.extensions[HINTS_KEY])


def tool_origin() -> str:
    """The tool's origin (scheme://host:port), the one the storage frame answers."""
    parts = urlsplit(sandbox_platform().tool_url)
    return f"{parts.scheme}://{parts.netloc}"
