"""LTI Assignment and Grade Services 2.0: line items, results, scores.

Every call goes through `LtiServiceConnector` (shared token cache, timeouts) and fails with a
classified `ServiceError` the outbox turns into retry / fail / re-stamp decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lti_pl.lti.service_connector import LtiServiceConnector, ServiceError, ServiceResponse
from lti_pl.lti.tool_config import DatabaseToolConf, RegistrationRecord
from lti_pl.stores import Store

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ALL_SCOPES = (SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE)

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, e.g. 2024-05-01T10:00:00.123Z."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Score:
    """One AGS score."""

    user_id: str
    score_given: float | None
    score_maximum: float
    comment: str
    activity_progress: str
    grading_progress: str
    timestamp: datetime
    submitted_at: datetime | None = None
    # Canvas: True makes the score a new submission attempt (its default), False a grade only.
    new_submission: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The score JSON of AGS 2.0 (scoreGiven omitted when None).

        With `submitted_at` it also carries AGS's `submission.submittedAt`; Canvas's submission
        extension gets `submitted_at` and `new_submission` (other platforms ignore the key).
        """
        body: dict[str, Any] = {
            "userId": self.user_id,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": iso_timestamp(self.timestamp),
        }
        if self.score_given is not None:
            body["scoreGiven"] = self.score_given
        if self.comment:
            body["comment"] = self.comment
        canvas: dict[str, Any] = {}
        if self.submitted_at is not None:
            body["submission"] = {"submittedAt": iso_timestamp(self.submitted_at)}
            canvas["submitted_at"] = iso_timestamp(self.submitted_at)
        if self.new_submission is not None:
            canvas["new_submission"] = self.new_submission
        if canvas:
            body[CANVAS_SUBMISSION] = canvas
        return body


def _scores_url(line_item_url: str) -> str:
    """Line item URL + /scores, keeping its query string (Canvas / Moodle put ids there)."""
    base, _, query = line_item_url.partition("?")
    return base.rstrip("/") + "/scores" + (f"?{query}" if query else "")


def _results_url(line_item_url: str) -> str:
    base, _, query = line_item_url.partition("?")
    return base.rstrip("/") + "/results" + (f"?{query}" if query else "")


class AgsClient:
    """AGS calls for one platform registration.

    Args:
        connector: the registration's service connector.
    """

    def __init__(self, connector: LtiServiceConnector, scopes: Sequence[str] = ()) -> None:
        self.connector = connector
        self.scopes = frozenset(scopes)

    def _scopes(self, needed: str) -> list[str]:
        """Ask for every AGS scope the launch granted, so one token serves every AGS call."""
        granted = self.scopes & set(ALL_SCOPES)
        return sorted(granted) if needed in granted else [needed]

    # line items ------------------------------------------------------------------
    def _send_line_item(self, method: str, url: str, body: dict[str, Any]) -> ServiceResponse:
        """POST or PUT a line item's JSON (sent and answered as a line item)."""
        return self.connector.request(
            method,
            url,
            self._scopes(SCOPE_LINEITEM),
            json_body=body,
            content_type=LINEITEM_TYPE,
            accept=LINEITEM_TYPE,
        )

    def create_line_item(
        self,
        line_items_url: str,
        *,
        label: str,
        score_maximum: float,
        resource_id: str = "",
        tag: str = "",
        resource_link_id: str = "",
    ) -> dict[str, Any]:
        """Create a line item; returns the platform's JSON (with its `id` URL)."""
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        if resource_id:
            body["resourceId"] = resource_id
        if tag:
            body["tag"] = tag
        if resource_link_id:
            body["resourceLinkId"] = resource_link_id
        answer = self._send_line_item("POST", line_items_url, body)
        if not isinstance(answer.body, dict) or not isinstance(answer.body.get("id"), str):
            raise ServiceError("The LMS did not return the new line item.", kind="transient")
        return answer.body

    def find_line_items(
        self,
        line_items_url: str,
        *,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> list[dict[str, Any]]:
        """Line items of the context, filtered by the platform and checked again here."""
        params = {
            key: value
            for key, value in (
                ("resource_link_id", resource_link_id),
                ("resource_id", resource_id),
                ("tag", tag),
            )
            if value
        }
        wanted = {
            "resourceLinkId": resource_link_id,
            "resourceId": resource_id,
            "tag": tag,
        }
        items: list[dict[str, Any]] = []
        for page in self.connector.paged(
            line_items_url, self._scopes(SCOPE_LINEITEM), accept=LINEITEMS_TYPE, params=params
        ):
            for item in page.body if isinstance(page.body, list) else []:
                if isinstance(item, dict) and all(
                    item.get(key) == value for key, value in wanted.items() if value
                ):
                    items.append(item)
        return items

    def get_line_item(self, url: str) -> dict[str, Any]:
        """One line item."""
        answer = self.connector.request(
            "GET", url, self._scopes(SCOPE_LINEITEM), accept=LINEITEM_TYPE
        )
        return answer.body if isinstance(answer.body, dict) else {}

    def update_line_item(self, url: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """PUT the line item with `changes` merged into its current JSON."""
        current = self.get_line_item(url)
        body = {**current, **changes, "id": url}
        answer = self._send_line_item("PUT", url, body)
        return answer.body if isinstance(answer.body, dict) else body

    def delete_line_item(self, url: str) -> None:
        """Delete a line item (and its results) in the LMS."""
        self.connector.request("DELETE", url, self._scopes(SCOPE_LINEITEM))

    # results and scores ----------------------------------------------------------------
    def results(
        self, line_item_url: str, *, user_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every result of a line item, following paging."""
        params = {"user_id": user_id} if user_id else None
        for page in self.connector.paged(
            _results_url(line_item_url),
            self._scopes(SCOPE_RESULT),
            accept=RESULTS_TYPE,
            params=params,
        ):
            for row in page.body if isinstance(page.body, list) else []:
                if isinstance(row, dict):
                    yield row

    def post_score(self, line_item_url: str, score: Score) -> None:
        """POST a score (content type application/vnd.ims.lis.v1.score+json).

        Raises:
            ServiceError: classified failure; 409 is `conflict` (an equal or newer timestamp).
        """
        self.connector.request(
            "POST",
            _scores_url(line_item_url),
            self._scopes(SCOPE_SCORE),
            json_body=score.to_json(),
            content_type=SCORE_TYPE,
        )


@dataclass(frozen=True)
class ScoreDelivery:
    """A score to deliver for the outbox: where (platform, line item) and what."""

    entry_id: int
    platform_id: int
    line_item_url: str
    score: Score
    ags_scopes: tuple[str, ...] = ()


class AgsSender:
    """Delivers outbox scores: one connector (and token cache entry) per platform registration.

    Registrations come from the tool conf's cache (read at most every 30 s), not per score.

    Args:
        tool_conf: registrations (signing with the tool's current key).
        store: the shared token store.
        timeout: HTTP timeout in seconds.
    """

    def __init__(self, tool_conf: DatabaseToolConf, store: Store, timeout: float) -> None:
        self._tool_conf = tool_conf
        self._store = store
        self._timeout = timeout
        self._connectors: dict[
            tuple[int, str | None], tuple[RegistrationRecord, LtiServiceConnector]
        ] = {}
        self._lock = threading.Lock()

    @property
    def token_requests(self) -> int:
        """Token requests made by this sender's connectors."""
        return sum(c.token_requests for _, c in self._connectors.values())

    def client(self, platform_id: int, scopes: Sequence[str] = ()) -> AgsClient:
        """An AGS client for a platform."""
        return AgsClient(self.connector(platform_id), scopes)

    def _record(self, platform_id: int) -> RegistrationRecord:
        record = self._tool_conf.record_for_platform(platform_id)
        if record is None:
            raise ServiceError("The LMS registration was removed.", kind="permanent")
        return record

    def prepare(self, platform_ids: Iterable[int]) -> None:
        """Read these platforms' registrations now (in the caller's transaction), not mid-send."""
        # The signing key too: a first read mid-send would open a transaction that lasts while
        # the LMS answers (on SQLite, BEGIN IMMEDIATE: the write lock, blocking every request).
        self._tool_conf.signing_key()
        for platform_id in platform_ids:
            try:
                self._record(platform_id)
            except ServiceError:
                continue  # reported when the score is sent

    def connector(self, platform_id: int) -> LtiServiceConnector:
        """The connector of a platform (rebuilt when the registration or signing key changes)."""
        record = self._record(platform_id)
        key = self._tool_conf.signing_key()
        cache_key = (platform_id, key[0] if key else None)
        with self._lock:
            hit = self._connectors.get(cache_key)
        if hit is not None and hit[0] == record:
            return hit[1]
        registration = self._tool_conf.registration(record)
        connector = LtiServiceConnector(registration, self._store, self._timeout)
        with self._lock:
            self._connectors[cache_key] = (record, connector)
        return connector

    def __call__(self, delivery: ScoreDelivery) -> None:
        """Post one score; raises ServiceError on failure."""
        self.client(delivery.platform_id, delivery.ags_scopes).post_score(
            delivery.line_item_url, delivery.score
        )
