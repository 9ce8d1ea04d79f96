"""A form that creates records is saved once: a double tap, a resubmit after Back, a retry.

A student on a slow network taps "Submit evidence" twice, a teacher taps "Save, then Ben" twice:
each POST used to save again, and a second copy of an assessment moves the student's level (an
"n times" or an average counts it). Such forms carry a random token (`once_field()` in the
template). The first POST of a token claims it in the shared store and runs the view; when its
answer is a redirect (saved, and committed), the redirect's address is kept under the token. A
later POST of the same token does not run the view: it waits (up to WAIT seconds) for the first
to finish and is sent where the first was, with "That was already saved." A first POST that did
not save (an error page, an exception) frees its token, so a corrected form goes through, and a
re-rendered form carries a new token anyway.

The store is the one OIDC state uses (Redis with several processes, else in-process); a form
without the field is not affected. page.js also stops a second tap in the browser; this is for
what a script cannot stop (Back and resubmit, a retried request, no script).
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Flask, Response, current_app, flash, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from markupsafe import Markup

logger = logging.getLogger(__name__)

FIELD = "once"
TTL = 2 * 3600  # seconds: longer than a page stays open before Back and resubmit
WAIT = 10.0  # seconds a repeat waits for the first POST (a slow upload) to finish
PENDING = "pending"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CLAIMED, _SAVED = "lti_pl.once_claimed", "lti_pl.once_saved"


def once_field() -> Markup:
    """The hidden field of a form that must be saved once (a new token each render)."""
    token = secrets.token_urlsafe(16)  # URL-safe base64: nothing to escape
    return Markup(f'<input type="hidden" name="{FIELD}" value="{token}">')  # noqa: S704


def _key(token: str) -> str:
    """The token's key, within this browser's session.

    A token seen by someone else (it is in the page) answers them nothing, in particular not the
    first POST's address, which carries the session in the URL where cookies are blocked.
    """
    from lti_pl.web import SESSION_ID  # lti_pl.web imports this module

    return f"once:{session.get(SESSION_ID, '')}:{token}"


def claim_or_answer() -> ResponseReturnValue | None:
    """Before a POST's view: claim its token (None: run the view), or answer a repeat."""
    if request.method != "POST":
        return None
    token = request.form.get(FIELD, "")
    if not _TOKEN.fullmatch(token):
        return None
    store = current_app.extensions["lti_pl"].store
    key = _key(token)
    deadline = time.monotonic() + WAIT
    while True:
        if store.add(key, PENDING, TTL):
            request.environ[_CLAIMED] = key
            return None
        saved_at = store.get(key)
        if saved_at not in (None, PENDING):
            logger.info("repeated form post answered from the first on %s", request.path)
            flash("That was already saved.")
            return redirect(str(saved_at), 303)
        if time.monotonic() >= deadline:
            logger.info("repeated form post while the first is still running on %s", request.path)
            message = "This form is still being saved. Wait a moment, then open the page again."
            return render_template("errors/domain.html", message=message, status=409), 409
        if saved_at == PENDING:
            time.sleep(0.1)  # else the first gave up its claim just now: claim it


def keep_answer(response: Response) -> Response:
    """After the view and the commit: keep a saved POST's redirect under its token."""
    key = request.environ.get(_CLAIMED)
    if key and 300 <= response.status_code < 400 and response.location:
        current_app.extensions["lti_pl"].store.set(key, response.location, TTL)
        request.environ[_SAVED] = True
    return response


def free_unsaved(_error: BaseException | None) -> None:
    """At teardown: a claimed token whose POST did not save is freed for a corrected one."""
    key = request.environ.get(_CLAIMED)
    if key and not request.environ.get(_SAVED):
        current_app.extensions["lti_pl"].store.delete(key)


def register_once(app: Flask) -> None:
    """Hook the check in.

    Call it before the commit hook is registered: after_request functions run in reverse
    order, so the answer is kept only once the commit went through.
    """
    app.add_template_global(once_field)
    app.before_request(claim_or_answer)
    app.after_request(keep_answer)
    app.teardown_request(free_unsaved)
