"""The sandbox platform's state: its key, course, links, gradebook and what the tool sent.

A sandbox LMS, not a real one: it trusts the person picked on its course page (no login) and keeps
its gradebook in a JSON file in the instance folder. Everything the tool does with it goes through
real LTI 1.3 messages and services, so what works here is what a real LMS would see.

The class is put together from one mixin per responsibility: persistence (state_file.py),
the course and its links (course_links.py), launch messages (launch_messages.py), the tool's
keys and OAuth2 (tool_auth.py), NRPS (nrps.py), AGS (ags.py) and deep linking returns
(deep_link_return.py); protocol constants and `SandboxError` are in protocol.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt

from lti_pl.sandbox.ags import Gradebook
from lti_pl.sandbox.course import SandboxPerson, demo_people
from lti_pl.sandbox.course_links import CourseLinks
from lti_pl.sandbox.deep_link_return import DeepLinkReturns
from lti_pl.sandbox.launch_messages import LaunchMessages
from lti_pl.sandbox.nrps import Memberships
from lti_pl.sandbox.protocol import (  # re-exported: the sandbox's public names stay here
    AGS_CLAIM,
    CLIENT_ID,
    DEPLOYMENT_ID,
    DL,
    DL_SETTINGS,
    ID_TOKEN_TTL,
    INSTRUCTOR_ROLE,
    JWKS_CACHE_SECONDS,
    LTI,
    NRPS_CLAIM,
    SCOPES,
    TOKEN_TTL,
    LaunchRequest,
    SandboxError,
)
from lti_pl.sandbox.state_file import KEY_FILE, STATE_FILE, StateFile, load_or_create_key
from lti_pl.sandbox.tool_auth import ToolAuth

__all__ = [
    "AGS_CLAIM",
    "CLIENT_ID",
    "DEPLOYMENT_ID",
    "DL",
    "DL_SETTINGS",
    "ID_TOKEN_TTL",
    "INSTRUCTOR_ROLE",
    "JWKS_CACHE_SECONDS",
    "KEY_FILE",
    "LTI",
    "NRPS_CLAIM",
    "SCOPES",
    "STATE_FILE",
    "TOKEN_TTL",
    "LaunchRequest",
    "SandboxError",
    "SandboxPlatform",
]


class SandboxPlatform(
    StateFile, CourseLinks, LaunchMessages, ToolAuth, Memberships, Gradebook, DeepLinkReturns
):
    """The sandbox LMS: two courses of the same people, their links, the first one's gradebook.

    Args:
        folder: where the key and the gradebook file live (the instance folder).
        tool_url: the tool's base URL (e.g. http://127.0.0.1:8000); settable once the tool runs.
        http_timeout: seconds for calls to the tool (its JWKS).
        fetch: how to GET the tool's JWKS (defaults to requests).
    """

    def __init__(
        self,
        folder: Path,
        tool_url: str = "",
        *,
        http_timeout: float = 5.0,
        fetch: Callable[[str], Any] | None = None,
    ) -> None:
        self.folder = folder
        self.tool_url = tool_url.rstrip("/")
        self.url = ""  # set when served
        self.http_timeout = http_timeout
        self._fetch = fetch or self._http_get_json
        self.lock = threading.RLock()
        self.private_key = load_or_create_key(folder)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        self.kid = "sandbox-" + _thumb(public)
        self.jwk = public | {"kid": self.kid, "alg": "RS256", "use": "sig"}
        self.people: tuple[SandboxPerson, ...] = demo_people()
        self.tokens: dict[str, dict[str, Any]] = {}
        self._tool_keys: dict[str, Any] = {}
        self._tool_keys_at = 0.0
        self.state: dict[str, Any] = {
            "links": [],
            "line_items": {},
            "scores": {},
            "roster_requests": [],
            "token_requests": [],
            "deep_link_returns": [],
        }
        self._load()


def _thumb(jwk: dict[str, Any]) -> str:
    """A short stable kid from the public key (so a restart with the same key keeps the kid)."""
    import hashlib

    return hashlib.sha256(jwk["n"].encode()).hexdigest()[:16]
