"""A small LTI 1.3 platform served over real HTTP on 127.0.0.1, as "generic", Moodle 4.5 or Canvas.

It signs id_tokens with its own RSA key, serves its JWKS, an OAuth2 client-credentials token
endpoint that verifies the tool's client assertion, NRPS (paged), AGS (line items, scores with
Moodle's 409 rule, results), a deep-linking return endpoint that verifies the tool's response, an
OpenID configuration and a registration endpoint for Dynamic Registration, and switchable faults.
Tests assert on what arrives here (`platform.scores_for(...)`, `platform.token_requests`), never
on what the tool believes it sent.

A `PlatformProfile` ("generic", "moodle", "canvas") makes it behave where real platforms differ;
each switch names the source it was read from.
"""

from __future__ import annotations

import html
import json
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler

from tests.support.serving import serve_in_thread, stop_serving

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROLE_URIS = {
    "Instructor": LIS + "Instructor",
    "Learner": LIS + "Learner",
    "Mentor": LIS + "Mentor",
    "TeachingAssistant": "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "ContentDeveloper": LIS + "ContentDeveloper",
    "Administrator": LIS + "Administrator",
}
SCOPES = {
    "lineitem": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "result": "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "score": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


class _NoDelayHandler(WSGIRequestHandler):
    """Answers without Nagle's delay (werkzeug writes headers and body separately)."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Quiet: tests read what arrived from the emulator's records, not its log."""


_SHARED_KEY: tuple[Any, dict[str, Any], str] | None = None


def shared_rsa_key() -> tuple[Any, dict[str, Any], str]:
    """One platform key per test session (RSA generation dominated test set-up)."""
    global _SHARED_KEY
    if _SHARED_KEY is None:
        _SHARED_KEY = make_rsa_key()
    return _SHARED_KEY


def make_rsa_key() -> tuple[Any, dict[str, Any], str]:
    """A private key, its public JWK (with a fresh kid) and the kid."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return private, jwk, kid


@dataclass(frozen=True)
class PlatformProfile:
    """How one real platform behaves where platforms differ (read from their source).

    Attributes:
        name: the profile's test id.
        accept_lineitem: the deep-linking settings' `accept_lineitem` (None: left out, as Moodle
            4.5's mod/lti/locallib.php `lti_build_content_item_selection_request` does).
        platform_storage: the login carries `lti_storage_target` (Canvas's
            `post_message_forwarding`); Moodle 4.5 has no LTI platform storage.
        nrps_until_used: the NRPS claim is left out while the tool is not used in the course
            (Moodle's mod/lti/service/memberships `get_launch_parameters` asks
            `is_used_in_context`).
        fully_graded_only: a score keeps `scoreGiven` only with gradingProgress FullyGraded,
            otherwise the stored grade is emptied (Moodle's gradebookservices scores.php sets
            scoreGiven to null before `save_score`).
        timestamp_409: 409 for a score whose timestamp is not newer than the stored one (Moodle).
        whole_seconds: the 409 rule compares whole seconds, as Moodle's gradebookservices
            scores.php does (`$grade->timemodified >= strtotime($score->timestamp)`: the stored
            grade's time is an integer of seconds, the new timestamp is truncated to one).
        gradable_400: 400 for a user who cannot be graded in the course (Moodle's
            `is_user_gradable_in_course`: a learner of the course).
        submission_extension: the score may carry Canvas's
            `https://canvas.instructure.com/lti/submission` extension (checked when present).
        rate_limit: Canvas's leaky-bucket API throttle: each call costs `request_cost`, answers
            carry X-Request-Cost and X-Rate-Limit-Remaining, an empty bucket answers 429.
        foreign_results_412: reading the results of a line item another client (developer key)
            created answers 412 (Canvas's Lti::IMS line-item client check).
        nrps_rlid: NRPS honours `rlid`, listing only members who see that resource link (Canvas).
        single_use_message_hint: the auth endpoint answers each login's `lti_message_hint` once
            (Moodle's mod/lti/auth.php unsets `$SESSION->lti_message_hint`), so a tool cannot
            restart a login in another window with the same parameters.
    """

    name: str
    accept_lineitem: bool | None = True
    platform_storage: bool = False
    nrps_until_used: bool = False
    fully_graded_only: bool = False
    timestamp_409: bool = True
    whole_seconds: bool = False
    gradable_400: bool = False
    submission_extension: bool = False
    rate_limit: bool = False
    foreign_results_412: bool = False
    nrps_rlid: bool = False
    single_use_message_hint: bool = False


PROFILES: dict[str, PlatformProfile] = {
    "generic": PlatformProfile("generic"),
    "moodle": PlatformProfile(
        "moodle",
        accept_lineitem=None,
        nrps_until_used=True,
        fully_graded_only=True,
        whole_seconds=True,
        gradable_400=True,
        single_use_message_hint=True,
    ),
    "canvas": PlatformProfile(
        "canvas",
        platform_storage=True,
        timestamp_409=False,
        submission_extension=True,
        rate_limit=True,
        foreign_results_412=True,
        nrps_rlid=True,
    ),
}
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
CANVAS_STORAGE_TARGET = "post_message_forwarding"


@dataclass
class Fault:
    """A fault plan for one area: each call fails with `rate` probability using one of `kinds`.

    kinds: "500", "429" (with Retry-After), "slow" (sleeps past the client timeout), "reset"
    (closes the connection without an answer).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("500",)
    retry_after: int = 1
    slow_seconds: float = 3.0
    #: Relative weights of `kinds` (None: equally likely), e.g. to keep costly "slow" ones rare.
    weights: tuple[float, ...] | None = None


@dataclass
class Member:
    """A course member as NRPS reports it."""

    user_id: str
    roles: list[str]
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    status: str = "Active"


@dataclass
class Context:
    """A course on the platform."""

    id: str
    title: str
    label: str = ""
    members: list[Member] = field(default_factory=list)
    #: Whether the tool is used in the course (Moodle sends NRPS only then); see `new_course`.
    tool_used: bool = True
    #: Canvas `rlid`: resource link id -> the user ids who see it (absent: everybody).
    link_audience: dict[str, set[str]] = field(default_factory=dict)


class PlatformEmulator:
    """The platform. Start with `start()`, stop with `stop()`; `url` is its base."""

    def __init__(
        self,
        *,
        issuer: str | None = None,
        client_id: str = "lti-pl-client",
        deployment_id: str = "deployment-1",
        tool_jwks: Callable[[], dict[str, Any]] | None = None,
        seed: int = 7,
        shared_key: bool = False,
        profile: str | PlatformProfile = "generic",
    ) -> None:
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.client_id = client_id
        #: The tool's base URL, for the default target_link_uri of id_tokens.
        self.tool_url = "https://tool.test"
        self.deployment_id = deployment_id
        self._issuer = issuer
        self.private_key, self.jwk, self.kid = shared_rsa_key() if shared_key else make_rsa_key()
        self.extra_jwks: list[dict[str, Any]] = []
        self.tool_jwks = tool_jwks
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.contexts: dict[str, Context] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_ttl = 3600
        self.line_items: dict[str, dict[str, Any]] = {}
        self.scores: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.score_requests: list[dict[str, Any]] = []
        #: The grade each user's gradebook cell holds per line item (None: emptied).
        self.stored_grades: dict[str, dict[str, Any]] = defaultdict(dict)
        self.deep_link_returns: list[dict[str, Any]] = []
        #: Resource links created by deep-linking responses (with their line item, if any).
        self.placed_links: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.faults: dict[str, Fault] = {}
        self.nrps_page_size = 2
        self.nrps_quote_next = True
        self.moodle_409 = self.profile.timestamp_409
        # Canvas's throttle: a bucket of this many units, refilled at `rate_refill` per second.
        self.rate_limit_remaining = 700.0
        self.rate_refill = 10.0
        self.request_cost = 1.0
        self.rate_limited: list[str] = []
        self._rate_at = time.monotonic()
        self.storage: dict[str, str] = {}
        self.pending_logins: dict[str, dict[str, Any]] = {}
        self.used_hints: set[str] = set()
        # The course page's platform storage (e2e): its listener starts this many ms after the
        # page's script runs (a big LMS page still loading its code when the frame first asks),
        # or never (an LMS that names a storage target it does not serve).
        self.storage_listens_after_ms = 0
        self.storage_answers = True
        self.app = self._build_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> PlatformEmulator:
        """Serve on a free port of 127.0.0.1 in a thread."""
        self._server, self._thread = serve_in_thread(self.app, _NoDelayHandler, poll_interval=0.02)
        return self

    def stop(self) -> None:
        """Stop serving."""
        stop_serving(self._server)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def issuer(self) -> str:
        """The iss of every token (defaults to the base URL)."""
        return self._issuer or self.url

    def registration(self, deployments: list[str] | None = None) -> dict[str, Any]:
        """This platform in pylti1p3's tool-config format (for `platforms import`)."""
        return {
            self.issuer: [
                {
                    "default": True,
                    "client_id": self.client_id,
                    "auth_login_url": self.url + "/auth",
                    "auth_token_url": self.url + "/token",
                    "key_set_url": self.url + "/jwks",
                    "deployment_ids": deployments or [self.deployment_id],
                }
            ]
        }

    # ---------------------------------------------------------------- id tokens
    def add_context(self, context_id: str = "course-1", title: str = "Biology 101") -> Context:
        """Create a course."""
        context = self.contexts.get(context_id) or Context(context_id, title, label=title[:8])
        self.contexts[context_id] = context
        return context

    def new_course(
        self, context_id: str, title: str = "New course", *, tool_used: bool = False
    ) -> Context:
        """A course in which (on Moodle) the tool is not used yet: no NRPS claim in its launches."""
        context = self.add_context(context_id, title)
        context.tool_used = tool_used
        return context

    def use_tool(self, context_id: str) -> None:
        """An activity of the tool now exists in the course (Moodle then sends NRPS)."""
        self.add_context(context_id).tool_used = True

    def add_line_item(
        self,
        context_id: str,
        label: str,
        *,
        score_maximum: float = 100,
        client_id: str | None = None,
        **fields: Any,
    ) -> str:
        """A line item made on the platform (by a teacher, or another tool's `client_id`)."""
        item_id = uuid.uuid4().hex[:8]
        url = f"{self.url}/ags/{context_id}/lineitems/{item_id}"
        return self.put_line_item(
            url,
            label,
            context_id=context_id,
            score_maximum=score_maximum,
            _client_id=client_id or self.client_id,
            **fields,
        )

    def put_line_item(
        self, url: str, label: str, *, context_id: str, score_maximum: float = 100, **fields: Any
    ) -> str:
        """The line item at `url` (one the test names, e.g. a deep-linked column), set anew."""
        with self.lock:
            self.line_items[url] = {
                "id": url,
                "label": label,
                "scoreMaximum": score_maximum,
                **fields,
                "_context": context_id,
            }
        return url

    def add_member(
        self, context_id: str, user_id: str, role: str, name: str = "", **kw: Any
    ) -> Member:
        """Add a member to a course (the NRPS roster)."""
        context = self.add_context(context_id)
        member = Member(user_id, [ROLE_URIS.get(role, role)], name=name, **kw)
        context.members = [m for m in context.members if m.user_id != user_id] + [member]
        return member

    def claims(
        self,
        *,
        user_id: str = "user-1",
        role: str | list[str] = "Instructor",
        context_id: str = "course-1",
        message_type: str = "LtiResourceLinkRequest",
        nonce: str = "",
        resource_link_id: str = "link-1",
        name: str | None = "Pat Teacher",
        email: str | None = "pat@example.edu",
        target_link_uri: str | None = None,
        custom: dict[str, str] | None = None,
        deep_link_return: str | None = None,
        mentor_of: list[str] | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The claims of an id_token, valid unless `overrides` change them."""
        now = int(time.time())
        context = self.add_context(context_id)
        roles = [ROLE_URIS.get(r, r) for r in ([role] if isinstance(role, str) else role)]
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": user_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": self.tool_url + "/lti/launch"
            if target_link_uri is None
            else target_link_uri,
            LTI + "roles": roles,
            LTI + "context": {"id": context.id, "title": context.title, "label": context.label},
            LTI + "custom": custom or {},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": list(SCOPES[s] for s in ("lineitem", "result", "score")),
                "lineitems": f"{self.url}/ags/{context.id}/lineitems",
            },
        }
        if context.tool_used or not self.profile.nrps_until_used:
            body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
                "context_memberships_url": f"{self.url}/nrps/{context.id}",
                "service_versions": ["2.0"],
            }
        if name is not None:
            body["name"] = name
            body["given_name"], _, body["family_name"] = name.partition(" ")
        if email is not None:
            body["email"] = email
        if mentor_of:
            body[LTI + "role_scope_mentor"] = mentor_of
        if message_type == "LtiResourceLinkRequest":
            body[LTI + "resource_link"] = {"id": resource_link_id, "title": "lti_pl"}
        else:
            settings: dict[str, Any] = {
                "deep_link_return_url": deep_link_return
                or f"{self.url}/deep_link_return/{context.id}",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-data-123",
            }
            if self.profile.accept_lineitem is not None:
                settings["accept_lineitem"] = self.profile.accept_lineitem
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = settings
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def sign(
        self, body: dict[str, Any], *, key: Any = None, kid: str | None = None, alg: str = "RS256"
    ) -> str:
        """Sign claims as this platform (or with another key to forge)."""
        return jwt.encode(
            body, key or self.private_key, algorithm=alg, headers={"kid": kid or self.kid}
        )

    # ---------------------------------------------------------------- browser flow
    def login_params(
        self, tool_url: str, *, user_id: str = "user-1", **extra: str
    ) -> dict[str, str]:
        """The parameters of a third-party initiated login."""
        params = {
            "iss": self.issuer,
            "login_hint": user_id,
            "target_link_uri": tool_url + "/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
            "lti_message_hint": "hint-" + user_id,
        }
        if self.profile.platform_storage:
            params["lti_storage_target"] = CANVAS_STORAGE_TARGET
        params.update(extra)
        return params

    @staticmethod
    def login_redirect(login: Any) -> str:
        """Where the tool's login answer sends the browser (a 302, or a platform-storage page)."""
        if login.status_code == 302:
            return str(login.headers["Location"])
        page = login.get_data(as_text=True)
        assert login.status_code == 200, page
        assert 'data-mode="put"' in page, page
        return html.unescape(re.search(r'data-next="([^"]+)"', page).group(1))

    def authorize(self, redirect_url: str) -> dict[str, str]:
        """Play the OIDC auth endpoint for a test: read the tool's redirect, return state+nonce."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "id_token"
        assert query["response_mode"] == "form_post"
        assert query["scope"] == "openid"
        assert query["prompt"] == "none"
        return query

    def launch(
        self,
        client: Any,
        *,
        tool_url: str = "https://tool.test",
        follow: bool = False,
        **claims: Any,
    ) -> Any:
        """The whole OIDC round trip against a Flask test client; returns the launch response."""
        user_id = claims.get("user_id", "user-1")
        login = client.post("/lti/login", data=self.login_params(tool_url, user_id=user_id))
        query = self.authorize(self.login_redirect(login))
        claims.setdefault("target_link_uri", tool_url + "/lti/launch")
        body = self.claims(nonce=query["nonce"], **claims)
        return client.post(
            "/lti/launch",
            data={"id_token": self.sign(body), "state": query["state"]},
            follow_redirects=follow,
        )

    # ---------------------------------------------------------------- recorded traffic
    def scores_for(self, line_item_url: str) -> list[dict[str, Any]]:
        """Scores posted to a line item, in arrival order."""
        with self.lock:
            return list(self.scores.get(line_item_url.rstrip("/"), []))

    def final_scores(self, line_item_url: str) -> dict[str, dict[str, Any]]:
        """The latest score per user on a line item."""
        latest: dict[str, dict[str, Any]] = {}
        for score in self.scores_for(line_item_url):
            latest[score["userId"]] = score
        return latest

    # ---------------------------------------------------------------- HTTP app
    def _fault(self, area: str) -> Response | None:
        plan = self.faults.get(area)
        if not plan or self.random.random() >= plan.rate:
            return None
        if plan.weights is None:
            kind = self.random.choice(plan.kinds)
        else:
            kind = self.random.choices(plan.kinds, weights=plan.weights)[0]
        if kind == "429":
            return Response("slow down", 429, {"Retry-After": str(plan.retry_after)})
        if kind == "slow":
            time.sleep(plan.slow_seconds)
            return Response("late", 503)
        if kind == "reset":
            # Drop the TCP connection with an RST before any answer (as a crashed proxy would).
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            return Response("reset", 500)
        return Response("platform error", 500)

    def _throttle(self) -> Response | None:
        """Canvas's leaky bucket: None when the call may go on (its cost is then charged)."""
        if not self.profile.rate_limit:
            return None
        with self.lock:
            now = time.monotonic()
            self.rate_limit_remaining = min(
                700.0, self.rate_limit_remaining + (now - self._rate_at) * self.rate_refill
            )
            self._rate_at = now
            if self.rate_limit_remaining < self.request_cost:
                self.rate_limited.append(request.path)
                return Response(
                    "403 Forbidden (Rate Limit Exceeded)",
                    429,
                    {"X-Rate-Limit-Remaining": "0.0", "X-Request-Cost": str(self.request_cost)},
                )
            self.rate_limit_remaining -= self.request_cost
        return None

    def _cost_headers(self, response: Response) -> Response:
        if self.profile.rate_limit:
            response.headers["X-Request-Cost"] = str(self.request_cost)
            response.headers["X-Rate-Limit-Remaining"] = f"{self.rate_limit_remaining:.1f}"
        return response

    def _gradable(self, context_id: str, user_id: str) -> bool:
        """Moodle's is_user_gradable_in_course: a learner of the course (when members are known)."""
        context = self.contexts.get(context_id)
        if context is None or not context.members:
            return True
        member = next((m for m in context.members if m.user_id == user_id), None)
        return member is not None and ROLE_URIS["Learner"] in member.roles

    def _newer(self, timestamp: str, stored: str) -> bool:
        """Whether a score's timestamp is newer than the stored one (Moodle: in whole seconds)."""
        if not self.profile.whole_seconds:
            return timestamp > stored
        return int(_seconds(timestamp)) > int(_seconds(stored))

    def gradebook(self, line_item_url: str) -> dict[str, Any]:
        """What the platform's gradebook shows per user: the stored grade (None: emptied)."""
        with self.lock:
            return dict(self.stored_grades.get(line_item_url.rstrip("/"), {}))

    def _check_bearer(self, scope: str) -> Response | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        grant = self.tokens.get(token)
        if not grant or grant["expires"] < time.time():
            return Response("invalid token", 401)
        if scope not in grant["scopes"]:
            return Response(f"missing scope {scope}", 403)
        return None

    def _place_content(self, context_id: str, claims: dict[str, Any]) -> None:
        """Create what a deep-linking response asks for: links, and their grade items.

        As Moodle's mod/lti/locallib.php and Canvas do, a content item with a `lineItem` gets a
        grade item bound to the new resource link (its `lineitem` claim in later launches).
        """
        items = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items") or []
        context = self.add_context(context_id)
        context.tool_used = True
        for item in items:
            if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
                continue
            link_id = "dl-" + uuid.uuid4().hex[:8]
            placed: dict[str, Any] = {"resource_link_id": link_id, "item": item}
            line_item = item.get("lineItem")
            if isinstance(line_item, dict):
                placed["line_item_url"] = self.add_line_item(
                    context_id,
                    str(line_item.get("label") or item.get("title") or "lti_pl"),
                    score_maximum=line_item.get("scoreMaximum", 100),
                    resourceLinkId=link_id,
                    **{k: line_item[k] for k in ("resourceId", "tag") if k in line_item},
                )
            self.placed_links.append(placed)

    def _verify_tool_jwt(self, token: str, audience: str) -> dict[str, Any]:
        assert self.tool_jwks is not None, "the emulator needs the tool's JWKS"
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in self.tool_jwks()["keys"]}
        key = jwt.algorithms.RSAAlgorithm.from_jwk(keys[header["kid"]])
        return jwt.decode(token, key, algorithms=["RS256"], audience=audience)

    def _build_app(self) -> Flask:
        app = Flask("platform_emulator")
        emulator = self

        @app.before_request
        def throttle() -> Any:
            if request.path.startswith(("/ags/", "/nrps/")):
                return emulator._throttle()
            return None

        @app.after_request
        def cost_headers(response: Response) -> Response:
            if request.path.startswith(("/ags/", "/nrps/")) and response.status_code != 429:
                return emulator._cost_headers(response)
            return response

        @app.get("/jwks")
        def jwks() -> Any:
            return {"keys": [emulator.jwk, *emulator.extra_jwks]}

        @app.get("/course/<context_id>")
        def course_page(context_id: str) -> Any:
            # The LMS page a person sees (e2e): the tool's login in an iframe; with platform
            # storage (Canvas), this page answers lti.put_data / lti.get_data postMessages.
            user_id = request.args.get("user", "user-1")
            spec = {
                "user_id": user_id,
                "role": request.args.get("role", "Learner"),
                "context_id": context_id,
                "name": request.args.get("name", "Pat Student"),
                "resource_link_id": request.args.get("link", "link-1"),
            }
            if request.args.get("lineitem"):  # an activity added by hand, with a grade item
                spec[AGS_CLAIM] = {
                    "scope": [SCOPES[s] for s in ("lineitem", "result", "score")],
                    "lineitems": f"{emulator.url}/ags/{context_id}/lineitems",
                    "lineitem": request.args["lineitem"],
                }
            hint = f"hint-{user_id}-{uuid.uuid4().hex[:8]}"
            emulator.pending_logins[hint] = spec
            params = emulator.login_params(
                emulator.tool_url, user_id=user_id, lti_message_hint=hint
            )
            login = html.escape(encode_query(emulator.tool_url + "/lti/login", params))
            tool_origin = html.escape(_origin_of(emulator.tool_url))
            storage = emulator.profile.platform_storage
            return (
                f"<!doctype html><title>{html.escape(emulator.profile.name)} course</title>"
                f"<h1>Course {html.escape(context_id)}</h1>"
                f'<iframe id="tool-frame" name="tool_frame" src="{login}" title="lti_pl" '
                'style="width:100%;height:640px;border:0"></iframe>'
                + (
                    f'<script src="/storage.js" data-origin="{tool_origin}"></script>'
                    if storage
                    else ""
                )
            )

        @app.get("/storage.js")
        def storage_script() -> Any:
            # 1EdTech "LTI Client Side postMessages": put_data / get_data, origin-checked.
            if not emulator.storage_answers:
                return Response(
                    "/* no platform storage here */", 200, {"Content-Type": "text/javascript"}
                )
            body = """(function () {
  var origin = document.currentScript.dataset.origin, data = {};
  setTimeout(function () { window.addEventListener("message", function (event) {
    var m = event.data || {};
    if (event.origin !== origin || !m.message_id) { return; }
    if (m.subject === "lti.put_data") { data[m.key] = m.value; }
    if (m.subject === "lti.put_data" || m.subject === "lti.get_data") {
      event.source.postMessage({subject: m.subject + ".response", message_id: m.message_id,
                                key: m.key, value: data[m.key]}, origin);
    }
  }); }, LISTENS_AFTER_MS);
})();""".replace("LISTENS_AFTER_MS", str(int(emulator.storage_listens_after_ms)))
            return Response(body, 200, {"Content-Type": "text/javascript"})

        @app.route("/auth", methods=["GET", "POST"])
        def auth() -> Any:
            # A real browser arrives here (e2e); answers with an auto-posting form.
            params = request.values
            state, nonce = params.get("state", ""), params.get("nonce", "")
            hint = params.get("lti_message_hint", "")
            if emulator.profile.single_use_message_hint and hint in emulator.used_hints:
                return Response("invalid_request: this login was already used", 400)
            emulator.used_hints.add(hint)
            spec = emulator.pending_logins.get(hint, {})
            body = emulator.claims(
                nonce=nonce, target_link_uri=params.get("redirect_uri", ""), **spec
            )
            token = emulator.sign(body)
            return (
                f'<form method="post" action="{params.get("redirect_uri")}" id="f">'
                f'<input type="hidden" name="id_token" value="{token}">'
                f'<input type="hidden" name="state" value="{state}"></form>'
                "<script>document.getElementById('f').submit()</script>"
            )

        @app.post("/token")
        def token() -> Any:
            form = request.form
            record = {"form": dict(form), "ok": False}
            with emulator.lock:
                emulator.token_requests.append(record)
            if (fault := emulator._fault("token")) is not None:
                return fault
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_assertion_type")
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ):
                return {"error": "unsupported_grant_type"}, 400
            try:
                claims = emulator._verify_tool_jwt(
                    form.get("client_assertion", ""), emulator.url + "/token"
                )
            except Exception as error:
                return {"error": "invalid_client", "error_description": type(error).__name__}, 401
            if claims.get("iss") != emulator.client_id or claims.get("sub") != emulator.client_id:
                return {"error": "invalid_client"}, 401
            scopes = set(form.get("scope", "").split())
            access = uuid.uuid4().hex
            with emulator.lock:
                emulator.tokens[access] = {
                    "scopes": scopes,
                    "expires": time.time() + emulator.token_ttl,
                }
                record["ok"] = True
                record["scopes"] = sorted(scopes)
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": emulator.token_ttl,
                "scope": " ".join(sorted(scopes)),
            }

        @app.get("/nrps/<context_id>")
        def nrps(context_id: str) -> Any:
            if (denied := emulator._check_bearer(SCOPES["nrps"])) is not None:
                return denied
            if (fault := emulator._fault("nrps")) is not None:
                return fault
            if request.headers.get("Accept", "") not in (
                MEMBERSHIP_TYPE,
                "*/*",
            ) and MEMBERSHIP_TYPE not in request.headers.get("Accept", ""):
                return Response("bad accept", 406)
            context = emulator.contexts[context_id]
            page = int(request.args.get("page", "0"))
            size = emulator.nrps_page_size
            everyone = context.members
            rlid = request.args.get("rlid")
            if emulator.profile.nrps_rlid and rlid and rlid in context.link_audience:
                everyone = [m for m in everyone if m.user_id in context.link_audience[rlid]]
            members = everyone[page * size : (page + 1) * size]
            body = {
                "id": request.url,
                "context": {"id": context.id, "title": context.title, "label": context.label},
                "members": [
                    {k: v for k, v in vars(m).items() if v} | {"status": m.status} for m in members
                ],
            }
            response = jsonify(body)
            response.headers["Content-Type"] = MEMBERSHIP_TYPE
            links = []
            if (page + 1) * size < len(everyone):
                # Mixed case on purpose: a tool that lower-cases the next URL loses the page.
                nxt = f"{emulator.url}/nrps/{context_id}?page={page + 1}&Sig=AbC"
                if rlid:
                    nxt += "&" + urlencode({"rlid": rlid})
                links.append(
                    f'<{nxt}>; rel="next"' if emulator.nrps_quote_next else f"<{nxt}>; rel=next"
                )
            links.append(f'<{emulator.url}/nrps/{context_id}?since=1>; rel="differences"')
            response.headers["Link"] = ", ".join(links)
            return response

        def line_item_url(context_id: str, item_id: str) -> str:
            return f"{emulator.url}/ags/{context_id}/lineitems/{item_id}"

        @app.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
        def line_items(context_id: str) -> Any:
            scope = SCOPES["lineitem"]
            if (denied := emulator._check_bearer(scope)) is not None:
                return denied
            if (fault := emulator._fault("ags")) is not None:
                return fault
            if request.method == "POST":
                if request.content_type != LINEITEM_TYPE:
                    return Response("bad content type", 415)
                data = request.get_json(force=True)
                if (
                    not isinstance(data.get("scoreMaximum"), (int, float))
                    or data["scoreMaximum"] <= 0
                    or not data.get("label")
                ):
                    return {"error": "scoreMaximum and label required"}, 400
                item_id = uuid.uuid4().hex[:8]
                data["id"] = line_item_url(context_id, item_id)
                with emulator.lock:
                    emulator.line_items[data["id"]] = data | {
                        "_context": context_id,
                        "_client_id": emulator.client_id,
                    }
                response = jsonify(data)
                response.status_code = 201
                response.headers["Content-Type"] = LINEITEM_TYPE
                return response
            items = [
                {k: v for k, v in item.items() if not k.startswith("_")}
                for item in emulator.line_items.values()
                if item["_context"] == context_id
                and all(
                    item.get(key) == request.args[arg]
                    for arg, key in (
                        ("resource_link_id", "resourceLinkId"),
                        ("resource_id", "resourceId"),
                        ("tag", "tag"),
                    )
                    if arg in request.args
                )
            ]
            response = jsonify(items)
            response.headers["Content-Type"] = LINEITEMS_TYPE
            return response

        @app.route("/ags/<context_id>/lineitems/<item_id>", methods=["GET", "PUT", "DELETE"])
        def line_item(context_id: str, item_id: str) -> Any:
            if (denied := emulator._check_bearer(SCOPES["lineitem"])) is not None:
                return denied
            url = line_item_url(context_id, item_id)
            if url not in emulator.line_items:
                return Response("no such line item", 404)
            if request.method == "DELETE":
                del emulator.line_items[url]
                return Response(status=204)
            if request.method == "PUT":
                data = request.get_json(force=True)
                emulator.line_items[url].update({k: v for k, v in data.items() if k != "id"})
            item = {k: v for k, v in emulator.line_items[url].items() if not k.startswith("_")}
            return Response(json.dumps(item), 200, {"Content-Type": LINEITEM_TYPE})

        @app.post("/ags/<context_id>/lineitems/<item_id>/scores")
        def scores(context_id: str, item_id: str) -> Any:
            url = line_item_url(context_id, item_id)
            record = {"url": url, "status": None}
            with emulator.lock:
                emulator.score_requests.append(record)
            if (denied := emulator._check_bearer(SCOPES["score"])) is not None:
                record["status"] = denied.status_code
                return denied
            if (fault := emulator._fault("ags")) is not None:
                record["status"] = fault.status_code
                return fault
            if request.content_type != SCORE_TYPE:
                record["status"] = 415
                return Response("bad content type", 415)
            if url not in emulator.line_items:
                record["status"] = 404
                return Response("no such line item", 404)
            score = request.get_json(force=True)
            required = ("userId", "timestamp", "activityProgress", "gradingProgress")
            if any(k not in score for k in required):
                record["status"] = 400
                return {"error": "missing fields"}, 400
            profile = emulator.profile
            if profile.gradable_400 and not emulator._gradable(context_id, str(score["userId"])):
                record["status"] = 400
                return {"error": "Incorrect score received"}, 400
            extension = score.get(CANVAS_SUBMISSION)
            if (
                profile.submission_extension
                and extension is not None
                and (not isinstance(extension, dict) or not _canvas_submission_ok(extension))
            ):
                record["status"] = 400
                return {"error": "bad submission extension"}, 400
            # What the gradebook keeps: Moodle empties the grade unless FullyGraded.
            stored = score.get("scoreGiven")
            if profile.fully_graded_only and score["gradingProgress"] != "FullyGraded":
                stored = None
            with emulator.lock:
                history = emulator.scores[url]
                previous = [s for s in history if s["userId"] == score["userId"]]
                if (
                    emulator.moodle_409
                    and previous
                    and not emulator._newer(score["timestamp"], previous[-1]["timestamp"])
                ):
                    record["status"] = 409
                    return {"error": "timestamp must be newer"}, 409
                history.append(score)
                emulator.stored_grades[url][str(score["userId"])] = stored
            record["status"] = 200
            return Response(status=200)

        @app.get("/ags/<context_id>/lineitems/<item_id>/results")
        def results(context_id: str, item_id: str) -> Any:
            if (denied := emulator._check_bearer(SCOPES["result"])) is not None:
                return denied
            url = line_item_url(context_id, item_id)
            owner = emulator.line_items.get(url, {}).get("_client_id", emulator.client_id)
            if emulator.profile.foreign_results_412 and owner != emulator.client_id:
                return Response("Tool does not have permission to view line_item", 412)
            latest = emulator.final_scores(url)
            rows = [
                {
                    "id": f"{url}/results/{uid}",
                    "scoreOf": url,
                    "userId": uid,
                    "resultScore": emulator.stored_grades[url].get(uid),
                    "resultMaximum": s.get("scoreMaximum"),
                    "comment": s.get("comment"),
                }
                for uid, s in sorted(latest.items())
            ]
            page = int(request.args.get("page", "0"))
            chunk = rows[page * 2 : page * 2 + 2]
            response = jsonify(chunk)
            response.headers["Content-Type"] = RESULTS_TYPE
            if page * 2 + 2 < len(rows):
                response.headers["Link"] = f'<{url}/results?page={page + 1}>; rel="next"'
            return response

        @app.post("/deep_link_return")
        @app.post("/deep_link_return/<context_id>")
        def deep_link_return(context_id: str = "") -> Any:
            token = request.form.get("JWT", "")
            try:
                claims = emulator._verify_tool_jwt(token, emulator.issuer)
            except Exception as error:
                emulator.deep_link_returns.append({"ok": False, "error": type(error).__name__})
                return Response("invalid deep linking response", 400)
            ok = (
                claims.get("iss") == emulator.client_id
                and claims.get(LTI + "deployment_id") == emulator.deployment_id
                and claims.get(LTI + "message_type") == "LtiDeepLinkingResponse"
                and bool(claims.get("nonce"))
            )
            emulator.deep_link_returns.append({"ok": ok, "claims": claims})
            if ok and context_id:
                emulator._place_content(context_id, claims)
            return ("<p id='dl-ok'>Content added</p>", 200) if ok else (Response("bad claims", 400))

        @app.get("/.well-known/openid-configuration")
        def openid_configuration() -> Any:
            if request.headers.get("Authorization") != "Bearer reg-token-1":
                return Response("unauthorized", 401)
            return {
                "issuer": emulator.issuer,
                "authorization_endpoint": emulator.url + "/auth",
                "token_endpoint": emulator.url + "/token",
                "jwks_uri": emulator.url + "/jwks",
                "registration_endpoint": emulator.url + "/register",
                "scopes_supported": ["openid", *SCOPES.values()],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "iss", "name", "email"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "emulator",
                    "version": "1.0",
                    "messages_supported": [
                        {"type": "LtiResourceLinkRequest"},
                        {"type": "LtiDeepLinkingRequest"},
                    ],
                },
            }

        @app.post("/register")
        def register() -> Any:
            if request.headers.get("Authorization") != "Bearer reg-token-1":
                return Response("unauthorized", 401)
            data = request.get_json(force=True)
            emulator.registrations.append(data)
            answer = dict(data)
            answer["client_id"] = emulator.client_id
            answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = dict(
                data.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {}),
                deployment_id=emulator.deployment_id,
            )
            return answer

        return app


def _canvas_submission_ok(extension: dict[str, Any]) -> bool:
    """Canvas's submission extension: known keys with the types Canvas reads."""
    known = {
        "new_submission",
        "submission_type",
        "submission_data",
        "submitted_at",
        "content_items",
        "prioritize_non_tool_grade",
    }
    if set(extension) - known:
        return False
    if "new_submission" in extension and not isinstance(extension["new_submission"], bool):
        return False
    return "submitted_at" not in extension or isinstance(extension["submitted_at"], str)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _seconds(timestamp: str) -> float:
    """Seconds since the epoch of an ISO 8601 timestamp (as PHP's strtotime reads it)."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def encode_query(url: str, params: dict[str, str]) -> str:
    """url with params appended."""
    return url + ("&" if "?" in url else "?") + urlencode(params)


def fetch_json(url: str) -> Any:
    """GET JSON (a helper for tests that talk to the emulator directly)."""
    return requests.get(url, timeout=5).json()
