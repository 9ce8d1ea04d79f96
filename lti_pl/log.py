"""Logging setup and the filter that keeps tokens out of logs (a safety net, not a permission)."""

from __future__ import annotations

import logging
import re

JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
BEARER_PATTERN = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """Replace anything shaped like a JWT or a bearer token."""
    return BEARER_PATTERN.sub(r"\1[token]", JWT_PATTERN.sub("[jwt]", text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with JWTs and bearer tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message in place; never drops a record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Attach one redacting stream handler to the `lti_pl` logger."""
    logger = logging.getLogger("lti_pl")
    logger.setLevel(level)
    if not any(isinstance(f, RedactingFilter) for h in logger.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
