"""The app's GET pages as URLs, their row ids filled in (for crawls: tests and bench.term)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Flask


def page_urls(app: Flask, prefix: str, ids: Mapping[str, int], only: str = "") -> list[str]:
    """Every GET route containing `prefix` (and `only`) whose arguments `ids` all fill in."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or prefix not in rule.rule or only not in rule.rule:
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:int:)?{name}>", str(ids[name]), url)
        urls.append(url)
    return urls
