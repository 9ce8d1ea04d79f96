"""Helpers for the security suites."""

from __future__ import annotations

from typing import Any


def directives(response: Any) -> dict[str, str]:
    """The response's Content-Security-Policy as directive -> value."""
    csp = response.headers["Content-Security-Policy"]
    pairs = ([*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip())
    return dict(pairs)
