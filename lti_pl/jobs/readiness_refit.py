"""Refitting readiness (BKT per standard) in the worker, not in a web process.

The fit reads every assessment of a platform and runs EM per standard: seconds of CPU for one
course's term (300 students × 40 targets × 4 assessments: 8 s), more for a district. It used to
start in a thread of the web process after each saved score, slowing every page that process
served meanwhile, once per process. Now each worker cycle asks each platform whether a fit is
due (new assessments since the last one, and that one older than `readiness.REFIT_EVERY`) and
fits those: in `lti-pl worker` when one runs, else in the in-process worker thread. A lock on
the shared store keeps two workers from fitting the same platform at once.
"""

from __future__ import annotations

import logging

from flask import Flask

from lti_pl.extensions import db
from lti_pl.models.base import utcnow
from lti_pl.services import readiness

logger = logging.getLogger(__name__)

LOCK_PREFIX = "readiness-refit:"


def refit_readiness(app: Flask) -> int:
    """Refit each platform whose fit is due; returns how many were refitted."""
    store = app.extensions["lti_pl"].store
    lock_seconds = int(readiness.REFIT_EVERY.total_seconds())
    refitted = 0
    with app.app_context():
        try:
            for issuer in readiness.issuers():
                if not readiness.is_refit_due(issuer, now=utcnow()):
                    continue
                if not store.add(LOCK_PREFIX + issuer, 1, lock_seconds):
                    continue  # another worker is fitting it (or just did)
                try:
                    readiness.refit(issuer, now=utcnow())
                    db.session.commit()
                    refitted += 1
                except Exception:
                    db.session.rollback()
                    logger.exception("readiness refit failed")
        finally:
            db.session.remove()
    return refitted
