"""The per-app LTI runtime: store, registration cache, key cache and launcher, built once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests

from lti_pl.lti.jwks_cache import KeySetCache
from lti_pl.lti.launch import Launcher
from lti_pl.lti.launch_storage import nonce_store_for
from lti_pl.lti.tool_config import DatabaseToolConf, RegistrationCache
from lti_pl.stores import Store, make_store

USER_AGENT = "lti_pl/0.1 (+LTI 1.3 tool)"


@dataclass
class LtiRuntime:
    """Everything the LTI boundary keeps between requests."""

    store: Store
    registrations: RegistrationCache
    tool_conf: DatabaseToolConf
    keys: KeySetCache
    launcher: Launcher
    http: requests.Session
    timeout: float

    def registrations_changed(self) -> None:
        """Forget what was cached from the registrations (after an import or a registration)."""
        self.registrations.clear()
        self.store.delete("frame-ancestors")


def build_runtime(
    redis_url: str | None, timeout: float, clock: Callable[[], datetime]
) -> LtiRuntime:
    """Build the runtime for one app."""
    store = make_store(redis_url)
    registrations = RegistrationCache()
    tool_conf = DatabaseToolConf(registrations)
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    keys = KeySetCache(store, http, timeout)
    launcher = Launcher(tool_conf, store, keys, nonce_store_for(store, clock))
    return LtiRuntime(store, registrations, tool_conf, keys, launcher, http, timeout)
