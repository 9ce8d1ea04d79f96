"""A validated launch waiting for a browser that refused the tool's cookie in the LMS iframe.

Moodle 4.5 offers no LTI platform storage, and a browser that blocks third-party cookies (Safari,
every iPad, Chrome under a school policy) drops the state cookie the login set inside Moodle's
iframe. The launch POST then arrives without it. It is still validated in full (signature,
nonce, and the nonce is used up: the id_token can never be posted again), and its state is bound
another way: the POST must come from a page of the platform that started this login (the
browser's `Origin` header, which a page elsewhere cannot set). The validated launch, never the
id_token, then waits here under a single-use random key for a few minutes, until the person
continues where the tool may keep a cookie: in the iframe after the Storage Access API granted
access, or in a new top-level window. Restarting the OIDC login there is not possible: Moodle's
auth.php accepts each `lti_message_hint` once (it unsets it from the session).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import Any

from lti_pl.lti.claims import LaunchInfo
from lti_pl.lti.roles import CourseRole
from lti_pl.stores import Store

HANDOFF_TTL = 300  # seconds to press "Continue" / "Open in a new window"
_TUPLES = ("roles", "ags_scopes", "mentor_of")


def _key(token: str) -> str:
    return "launch-handoff:" + hashlib.sha256(token.encode()).hexdigest()


def hand_off(store: Store, info: LaunchInfo) -> str:
    """Keep a validated launch for one later use; returns its key (the page's secret)."""
    token = secrets.token_urlsafe(32)
    data = dataclasses.asdict(info)
    data["custom"] = dict(info.custom)
    data["deep_linking"] = dict(info.deep_linking) if info.deep_linking is not None else None
    data["course_role"] = str(info.course_role) if info.course_role is not None else None
    for name in _TUPLES:
        data[name] = list(data[name])
    store.set(_key(token), data, HANDOFF_TTL)
    return token


def take(store: Store, token: str) -> LaunchInfo | None:
    """The launch kept under `token`, once (None when unknown, used or expired)."""
    if not token:
        return None
    data: Any = store.pop(_key(token))
    if not isinstance(data, dict):
        return None
    data["course_role"] = CourseRole(data["course_role"]) if data.get("course_role") else None
    for name in _TUPLES:
        data[name] = tuple(data.get(name) or ())
    names = {f.name for f in dataclasses.fields(LaunchInfo)}
    return LaunchInfo(**{k: v for k, v in data.items() if k in names})
