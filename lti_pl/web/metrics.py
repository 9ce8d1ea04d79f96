"""`GET /metrics` in Prometheus' text format, for the operator only.

Who may read it: with LTI_PL_METRICS_TOKEN set, a request with `Authorization: Bearer <token>`;
without, only a request from this machine's loopback that no proxy forwarded (a reverse proxy
on the same host would otherwise make every visitor look local).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from lti_pl.models.base import utcnow
from lti_pl.services import metrics

bp = Blueprint("metrics", __name__)
FORWARDED = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


class _DatabaseCollector(Collector):
    def collect(self) -> Iterator[Any]:
        figures = metrics.snapshot(utcnow())
        depth = GaugeMetricFamily(
            "lti_pl_grade_outbox_entries",
            "Scores in the grade outbox by status.",
            labels=["status"],
        )
        for status, count in sorted(figures.outbox_by_status.items()):
            depth.add_metric([status], count)
        yield depth
        yield GaugeMetricFamily(
            "lti_pl_grade_outbox_oldest_waiting_seconds",
            "Age of the oldest score not yet delivered (pending or sending); 0 when none.",
            value=figures.oldest_waiting_seconds,
        )
        failed = GaugeMetricFamily(
            "lti_pl_grade_outbox_failed",
            "Scores that failed for good (a teacher can retry), per platform.",
            labels=["platform_id", "issuer"],
        )
        for (platform_id, issuer), count in sorted(figures.failed_by_platform.items()):
            failed.add_metric([str(platform_id), issuer], count)
        yield failed
        launched = GaugeMetricFamily(
            "lti_pl_launched_enrollments",
            "Enrollments (a person in a course) launched within the window.",
            labels=["window"],
        )
        for window, count in figures.launched_users.items():
            launched.add_metric([window], count)
        yield launched


def _is_allowed() -> bool:
    token = current_app.config.get("LTI_PL_METRICS_TOKEN") or ""
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if any(name in request.headers for name in FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def scrape() -> ResponseReturnValue:
    """The figures, or 403 for anyone but the operator."""
    if not _is_allowed():
        return Response(
            "metrics are for the operator: send the LTI_PL_METRICS_TOKEN bearer token, "
            "or scrape from this machine without a proxy\n",
            403,
            mimetype="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector())
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
