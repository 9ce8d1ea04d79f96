"""Refitting readiness (BKT per standard) from the worker cycle, beside it, not in a web process.

The fit reads every assessment of a platform and runs EM per standard: seconds of CPU for one
course's term (300 students × 40 targets × 4 assessments: 8 s), minutes for a district. It used
to start in a thread of the web process after each saved score, slowing every page that process
served meanwhile, once per process. Now each worker cycle asks each platform whether a fit is
due (new assessments since the last one, and that one older than `readiness.REFIT_EVERY`),
takes a lock on the shared store for it (two workers never fit the same platform at once) and
fits it in a thread of its own, one at a time per process: a long fit never holds up the next
cycle's scores. Under TESTING the fit runs inline, as the other after-commit jobs do.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services import readiness

logger = logging.getLogger(__name__)

LOCK_PREFIX = "readiness-refit:"
_fitting = threading.Lock()  # one fitting thread per process


def refit_readiness(app: Flask) -> int:
    """Fit the platforms whose fit is due; returns how many it fitted or started to fit."""
    if not app.config.get("TESTING"):
        if not _fitting.acquire(blocking=False):
            return 0  # this process is fitting already; the next cycle asks again
        try:
            issuers = _due(app)
        except Exception:
            _fitting.release()
            raise
        if not issuers:
            _fitting.release()
            return 0
        threading.Thread(
            target=_fit_then_release, args=(app, issuers), name="lti_pl-readiness", daemon=True
        ).start()
        return len(issuers)
    issuers = _due(app)
    _fit(app, issuers)
    return len(issuers)


def _due(app: Flask) -> list[str]:
    """The platforms due for a fit whose lock this worker took."""
    store = app.extensions["lti_pl"].store
    lock_seconds = int(readiness.REFIT_EVERY.total_seconds())
    with app.app_context():
        try:
            return [
                issuer
                for issuer in readiness.issuers()
                if readiness.is_refit_due(issuer, now=utcnow())
                and store.add(LOCK_PREFIX + issuer, 1, lock_seconds)
            ]
        finally:
            db.session.remove()


def _fit(app: Flask, issuers: list[str]) -> None:
    with app.app_context():
        try:
            for issuer in issuers:
                try:
                    readiness.refit(issuer, now=utcnow())
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    logger.exception("readiness refit failed")
        finally:
            db.session.remove()


def _fit_then_release(app: Flask, issuers: list[str]) -> None:
    try:
        _fit(app, issuers)
    finally:
        _fitting.release()
