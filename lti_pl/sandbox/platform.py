"""The sandbox platform's state: its key, course, links, gradebook and what the tool sent.

A sandbox LMS, not a real one: it trusts the person picked on its course page (no login) and keeps
its gradebook in a JSON file in the instance folder. Everything the tool does with it goes through
real LTI 1.3 messages and services, so what works here is what a real LMS would see.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_pl.sandbox.course import (
    CONTEXT_ID,
    CONTEXT_TITLE,
    COURSES,
    SandboxPerson,
    demo_people,
    sandbox_course,
)

logger = logging.getLogger(__name__)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SCOPES = {
    "lineitem": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "lineitem.readonly": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "result": "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "score": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
CLIENT_ID = "lti-pl-sandbox"
DEPLOYMENT_ID = "sandbox-deployment-1"
TOKEN_TTL = 3600
ID_TOKEN_TTL = 300
JWKS_CACHE_SECONDS = 300
KEY_FILE = "sandbox_platform_key.pem"
STATE_FILE = "sandbox_state.json"


class SandboxError(Exception):
    """A request the sandbox refuses (shown on its error page or as a JSON error)."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _load_or_create_key(folder: Path) -> rsa.RSAPrivateKey:
    """The sandbox's RSA key, generated on first start and kept in the instance folder."""
    path = folder / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


@dataclass(frozen=True)
class LaunchRequest:
    """What the sandbox is asked to launch: who, which link, which message."""

    user_id: str
    link_id: str
    deep_linking: bool


class SandboxPlatform:
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
        self.private_key = _load_or_create_key(folder)
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

    # ------------------------------------------------------------------ persistence
    @property
    def _state_path(self) -> Path:
        return self.folder / STATE_FILE

    def _load(self) -> None:
        try:
            data = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self.state.update({k: v for k, v in data.items() if k in self.state})

    def save(self) -> None:
        """Write the gradebook and links (atomically) so a restart keeps them."""
        with self.lock:
            tmp = self._state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
            tmp.replace(self._state_path)

    def reset(self) -> None:
        """Forget links, line items and scores (the key stays)."""
        with self.lock:
            for key in self.state:
                self.state[key] = {} if key in {"line_items", "scores"} else []
            self.save()

    # ------------------------------------------------------------------ identity
    @property
    def issuer(self) -> str:
        """The iss of every id_token: the sandbox's base URL."""
        return self.url

    def tool_config(self) -> dict[str, Any]:
        """This platform in pylti1p3's tool-config JSON (what `lti-pl platforms import` reads)."""
        return {
            self.issuer: [
                {
                    "default": True,
                    "name": "Sandbox LMS (demo)",
                    "client_id": CLIENT_ID,
                    "auth_login_url": self.url + "/auth",
                    "auth_token_url": self.url + "/token",
                    "key_set_url": self.url + "/jwks",
                    "deployment_ids": [DEPLOYMENT_ID],
                }
            ]
        }

    def person(self, user_id: str) -> SandboxPerson:
        """A member of the course by user id."""
        for person in self.people:
            if person.user_id == user_id:
                return person
        raise SandboxError("No such person in the sandbox course.", 404)

    @property
    def teacher(self) -> SandboxPerson:
        """The course's teacher."""
        return self.people[0]

    # ------------------------------------------------------------------ links
    def links(self) -> list[dict[str, Any]]:
        """The course's LTI links (activities), oldest first."""
        with self.lock:
            return [dict(link) for link in self.state["links"]]

    def course_links(self, context_id: str) -> list[dict[str, Any]]:
        """A course's activities: the first course's links; another course has its home only."""
        if context_id == CONTEXT_ID:
            return self.links()
        return [
            {
                "id": course.home_link_id,
                "title": "lti_pl (course home)",
                "url": self.tool_url + "/lti/launch",
                "custom": {},
                "line_item": None,
                "context_id": course.context_id,
            }
            for course in COURSES
            if course.context_id == context_id
        ]

    def link(self, link_id: str) -> dict[str, Any]:
        """One link by id (of any course)."""
        others = [link for c in COURSES[1:] for link in self.course_links(c.context_id)]
        for link in [*self.links(), *others]:
            if link["id"] == link_id:
                return link
        raise SandboxError("No such activity in the sandbox course.", 404)

    def ensure_default_link(self) -> dict[str, Any]:
        """The course's first activity ("lti_pl"), as an admin would add the tool to a course."""
        with self.lock:
            if not self.state["links"]:
                self.state["links"].append(
                    {
                        "id": "sandbox-link-home",
                        "title": "lti_pl (course home)",
                        "url": self.tool_url + "/lti/launch",
                        "custom": {},
                        "line_item": None,
                        "added_at": _now_iso(),
                    }
                )
                self.save()
            return dict(self.state["links"][0])

    def add_links(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add the ltiResourceLink content items of a deep linking response.

        A content item with a lineItem gets a line item in the gradebook, as Canvas and Moodle do.
        """
        added = []
        with self.lock:
            for item in items:
                if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
                    continue
                link_id = "sandbox-link-" + uuid.uuid4().hex[:8]
                raw_custom = item.get("custom")
                custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
                link: dict[str, Any] = {
                    "id": link_id,
                    "title": str(item.get("title") or "Untitled activity")[:200],
                    "text": str(item.get("text") or "")[:500],
                    "url": str(item.get("url") or self.tool_url + "/lti/launch"),
                    "custom": {str(k): str(v) for k, v in custom.items()},
                    "line_item": None,
                    "added_at": _now_iso(),
                }
                spec = item.get("lineItem")
                if isinstance(spec, dict):
                    maximum = spec.get("scoreMaximum")
                    data = {
                        "label": str(spec.get("label") or link["title"]),
                        "scoreMaximum": maximum if isinstance(maximum, (int, float)) else 100,
                        "resourceId": str(spec.get("resourceId") or ""),
                        "tag": str(spec.get("tag") or ""),
                        "resourceLinkId": link_id,
                    }
                    link["line_item"] = self.create_line_item(data)["id"]
                self.state["links"].append(link)
                added.append(link)
            self.save()
        return added

    # ------------------------------------------------------------------ launches
    def claims(self, request: LaunchRequest, nonce: str, redirect_uri: str) -> dict[str, Any]:
        """The claims of the id_token for a launch."""
        person = self.person(request.user_id)
        link = None if request.deep_linking else self.link(request.link_id)
        course = sandbox_course(link.get("context_id", CONTEXT_ID) if link else "") or COURSES[0]
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": person.user_id,
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
            "nonce": nonce,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "roles": list(person.roles),
            LTI + "context": {
                "id": course.context_id,
                "title": course.title,
                "label": course.label,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            LTI + "tool_platform": {
                "guid": "lti-pl-sandbox",
                "name": "Sandbox LMS",
                "product_family_code": "lti_pl_sandbox",
            },
            LTI + "launch_presentation": {"document_target": "iframe", "width": 800},
            NRPS_CLAIM: {
                "context_memberships_url": f"{self.url}/nrps/{course.context_id}",
                "service_versions": ["2.0"],
            },
        }
        if person.mentor_of:
            body[LTI + "role_scope_mentor"] = list(person.mentor_of)
        ags: dict[str, Any] = {
            "scope": [SCOPES["lineitem"], SCOPES["result"], SCOPES["score"]],
            "lineitems": f"{self.url}/ags/{CONTEXT_ID}/lineitems",
        }
        if request.deep_linking:
            if INSTRUCTOR_ROLE not in person.roles:
                raise SandboxError("Only the teacher can add activities.", 403)
            body[LTI + "message_type"] = "LtiDeepLinkingRequest"
            body[LTI + "target_link_uri"] = redirect_uri
            body[DL_SETTINGS] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "accept_lineitem": True,
                "auto_create": True,
                "title": "Add an activity to " + CONTEXT_TITLE,
                "data": "sandbox-dl-" + uuid.uuid4().hex[:8],
            }
        elif link is not None:
            body[LTI + "message_type"] = "LtiResourceLinkRequest"
            body[LTI + "target_link_uri"] = link["url"]
            body[LTI + "resource_link"] = {"id": link["id"], "title": link["title"]}
            body[LTI + "custom"] = dict(link.get("custom") or {})
            if link.get("line_item"):
                ags["lineitem"] = link["line_item"]
        if course.context_id == CONTEXT_ID:  # the gradebook is the first course's
            body[AGS_CLAIM] = ags
        return body

    def sign(self, body: dict[str, Any]) -> str:
        """Sign claims with the sandbox's key (RS256, with its kid)."""
        return jwt.encode(body, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    # ------------------------------------------------------------------ the tool's keys
    def _http_get_json(self, url: str) -> Any:
        response = requests.get(url, timeout=self.http_timeout)
        response.raise_for_status()
        return response.json()

    def refresh_tool_keys(self) -> None:
        """Fetch the tool's public keys from its /lti/jwks.json (kept for JWKS_CACHE_SECONDS)."""
        key_set = self._fetch(self.tool_url + "/lti/jwks.json")
        keys = {k["kid"]: k for k in key_set.get("keys", []) if isinstance(k, dict) and "kid" in k}
        with self.lock:
            self._tool_keys = keys
            self._tool_keys_at = time.monotonic()

    def warm_tool_keys(self) -> None:
        """Fetch the tool's keys in the background if they are not cached yet (before a launch).

        Like a real LMS, the sandbox caches the tool's JWKS: it then does not call back into the
        tool while the tool waits on its own token request.
        """
        if self._tool_keys:
            return

        def fetch() -> None:
            try:
                self.refresh_tool_keys()
            except (requests.RequestException, ValueError):
                logger.warning("sandbox could not fetch the tool's JWKS yet")

        threading.Thread(target=fetch, name="sandbox-jwks", daemon=True).start()

    def _tool_key(self, kid: str) -> dict[str, Any]:
        with self.lock:
            fresh = time.monotonic() - self._tool_keys_at < JWKS_CACHE_SECONDS
            jwk = self._tool_keys.get(kid) if fresh else None
        if jwk is None:
            self.refresh_tool_keys()  # a new or rotated key: ask the tool again
            with self.lock:
                jwk = self._tool_keys.get(kid)
        if jwk is None:
            raise StopIteration
        return jwk  # type: ignore[no-any-return]

    def verify_tool_jwt(self, token: str, audience: str) -> dict[str, Any]:
        """Verify a JWT the tool signed, with keys from the tool's /lti/jwks.json (cached).

        Raises:
            SandboxError: unknown key, bad signature, wrong audience or expired.
        """
        try:
            kid = str(jwt.get_unverified_header(token).get("kid"))
            key = jwt.algorithms.RSAAlgorithm.from_jwk(self._tool_key(kid))
            if not isinstance(key, rsa.RSAPublicKey):
                raise SandboxError("the tool published a private key", 401)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=["RS256"], audience=audience, leeway=60
            )
        except StopIteration as error:
            raise SandboxError("signed with a key the tool does not publish", 401) from error
        except (jwt.InvalidTokenError, requests.RequestException, ValueError) as error:
            raise SandboxError(f"invalid tool JWT ({type(error).__name__})", 401) from error
        return claims

    # ------------------------------------------------------------------ OAuth2
    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        """The client-credentials grant with a JWT client assertion (LTI security framework)."""
        record: dict[str, Any] = {"at": _now_iso(), "ok": False, "scopes": []}
        try:
            if form.get("grant_type") != "client_credentials" or form.get(
                "client_assertion_type"
            ) != ("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
                raise SandboxError("unsupported_grant_type")
            claims = self.verify_tool_jwt(form.get("client_assertion", ""), self.url + "/token")
            if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
                raise SandboxError("invalid_client", 401)
            allowed = set(SCOPES.values())
            scopes = sorted(s for s in form.get("scope", "").split() if s in allowed)
            access = uuid.uuid4().hex
            with self.lock:
                self.tokens[access] = {"scopes": set(scopes), "expires": time.time() + TOKEN_TTL}
            record.update(ok=True, scopes=scopes)
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
                "scope": " ".join(scopes),
            }
        finally:
            with self.lock:
                self.state["token_requests"] = [*self.state["token_requests"][-49:], record]

    def check_bearer(self, header: str, *scopes: str) -> None:
        """Refuse a service call without a live token carrying one of the scopes."""
        grant = self.tokens.get(header.removeprefix("Bearer ").strip())
        if not grant or grant["expires"] < time.time():
            raise SandboxError("invalid or expired access token", 401)
        if not grant["scopes"] & {SCOPES[s] for s in scopes}:
            raise SandboxError("the access token lacks the scope for this service", 403)

    # ------------------------------------------------------------------ NRPS
    def memberships(self, context_id: str = CONTEXT_ID) -> dict[str, Any]:
        """The NRPS membership container of a course (and a note of when it was served)."""
        course = sandbox_course(context_id)
        if course is None:
            raise SandboxError("no such context", 404)
        members = [
            {
                "user_id": p.user_id,
                "status": "Active",
                "name": p.name,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "email": p.email,
                "roles": list(p.roles),
            }
            for p in self.people
        ]
        with self.lock:
            self.state["roster_requests"] = [
                *self.state["roster_requests"][-19:],
                {"at": _now_iso(), "members": len(members)},
            ]
            self.save()
        return {
            "id": f"{self.url}/nrps/{course.context_id}",
            "context": {"id": course.context_id, "label": course.label, "title": course.title},
            "members": members,
        }

    # ------------------------------------------------------------------ AGS
    def line_item_url(self, item_id: str) -> str:
        """The URL of a line item."""
        return f"{self.url}/ags/{CONTEXT_ID}/lineitems/{item_id}"

    def create_line_item(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a line item (scoreMaximum > 0 and a label required)."""
        maximum = data.get("scoreMaximum")
        if not isinstance(maximum, (int, float)) or maximum <= 0 or not data.get("label"):
            raise SandboxError("a line item needs a label and scoreMaximum > 0")
        item: dict[str, Any] = {
            k: data[k]
            for k in ("label", "scoreMaximum", "resourceId", "tag", "resourceLinkId")
            if k in data and data[k] not in (None, "")
        }
        item["id"] = self.line_item_url(uuid.uuid4().hex[:10])
        with self.lock:
            self.state["line_items"][item["id"]] = item
            self.save()
        return dict(item)

    def line_items(self, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Line items, filtered by resource_link_id, resource_id or tag."""
        filters = filters or {}
        keys = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}
        with self.lock:
            items = [dict(i) for i in self.state["line_items"].values()]
        return [
            i for i in items if all(i.get(keys[k]) == v for k, v in filters.items() if k in keys)
        ]

    def line_item(self, url: str) -> dict[str, Any]:
        """One line item by URL."""
        with self.lock:
            item = self.state["line_items"].get(url)
        if item is None:
            raise SandboxError("no such line item", 404)
        return dict(item)

    def update_line_item(self, url: str, data: dict[str, Any]) -> dict[str, Any]:
        """Change a line item's label, maximum, tag or resource ids."""
        self.line_item(url)
        with self.lock:
            item = self.state["line_items"][url]
            for key in ("label", "scoreMaximum", "resourceId", "tag"):
                if key in data:
                    item[key] = data[key]
            self.save()
            return dict(item)

    def delete_line_item(self, url: str) -> None:
        """Remove a line item and its scores."""
        self.line_item(url)
        with self.lock:
            del self.state["line_items"][url]
            self.state["scores"].pop(url, None)
            self.save()

    def add_score(self, url: str, score: dict[str, Any]) -> None:
        """Record a score; like Moodle, refuse one not newer than the user's last (409)."""
        self.line_item(url)
        required = ("userId", "timestamp", "activityProgress", "gradingProgress")
        if any(k not in score for k in required):
            raise SandboxError("a score needs userId, timestamp and the two progress values")
        self.person(str(score["userId"]))
        with self.lock:
            history = self.state["scores"].setdefault(url, [])
            previous = [s for s in history if s["userId"] == score["userId"]]
            if previous and str(score["timestamp"]) <= str(previous[-1]["timestamp"]):
                raise SandboxError("a score's timestamp must be newer than the last one", 409)
            history.append(
                {
                    k: score[k]
                    for k in (
                        "userId",
                        "scoreGiven",
                        "scoreMaximum",
                        "comment",
                        "timestamp",
                        "activityProgress",
                        "gradingProgress",
                    )
                    if k in score
                }
                | {"received_at": _now_iso()}
            )
            self.save()

    def latest_scores(self, url: str) -> dict[str, dict[str, Any]]:
        """The latest score of each user on a line item."""
        with self.lock:
            history = list(self.state["scores"].get(url, []))
        latest: dict[str, dict[str, Any]] = {}
        for score in history:
            latest[str(score["userId"])] = score
        return latest

    def score_history(self, url: str) -> list[dict[str, Any]]:
        """Every score received on a line item, oldest first."""
        with self.lock:
            return [dict(s) for s in self.state["scores"].get(url, [])]

    # ------------------------------------------------------------------ deep linking
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
                {"at": _now_iso(), "added": [link["title"] for link in added]},
            ]
            self.save()
        return added


INSTRUCTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _thumb(jwk: dict[str, Any]) -> str:
    """A short stable kid from the public key (so a restart with the same key keeps the kid)."""
    import hashlib

    return hashlib.sha256(jwk["n"].encode()).hexdigest()[:16]
