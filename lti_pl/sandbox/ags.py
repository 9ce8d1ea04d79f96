"""The sandbox's gradebook: AGS line items, scores and results."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from lti_pl.sandbox.course import (
    CONTEXT_ID,
)
from lti_pl.sandbox.protocol import (
    SandboxError,
    now_iso,
)

logger = logging.getLogger(__name__)


class Gradebook:
    """AGS line items and scores (part of SandboxPlatform)."""

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
                | {"received_at": now_iso()}
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

    def results(self, url: str, user_id: str | None = None) -> list[dict[str, Any]]:
        """The result container of a line item: each user's latest score (or one user's)."""
        item = self.line_item(url)
        return [
            {
                "id": f"{url}/results/{uid}",
                "scoreOf": url,
                "userId": uid,
                "resultScore": s.get("scoreGiven"),
                "resultMaximum": s.get("scoreMaximum", item["scoreMaximum"]),
                "comment": s.get("comment"),
            }
            for uid, s in sorted(self.latest_scores(url).items())
            if not user_id or uid == user_id
        ]

    def score_sheet(self, names: dict[str, str]) -> list[dict[str, Any]]:
        """The gradebook page's rows: each line item, its latest scores by name, how many came."""
        return [
            {
                "item": item,
                "latest": sorted(
                    self.latest_scores(item["id"]).values(),
                    key=lambda s: names.get(str(s["userId"]), ""),
                ),
                "received": len(self.score_history(item["id"])),
            }
            for item in self.line_items()
        ]
