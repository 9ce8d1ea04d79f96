"""The tool's Flask app class: a page's URLs are built once per endpoint and values, then kept."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.globals import _cv_request

from lti_pl.web import URL_SESSION_FLAG

#: Kept URLs; the whole map is dropped when it is full (ids make the set of URLs grow forever).
URL_CACHE_SIZE = 8192


class ToolFlask(Flask):
    """Flask whose `url_for` keeps the URLs it built for requests.

    A course home builds about 30 URLs (menu, targets, stylesheets), ~10 µs each in werkzeug's
    router: a tenth of the page's server time, the same strings on every view. A relative URL
    depends only on the endpoint, the values, the script root (a proxy's prefix) and the
    `url_defaults` functions: `_carry_url_session` adds the session to a URL session's links,
    so those are never kept; `_version_static_urls` adds an asset's version, the same for the
    life of the process. Any other `url_defaults` function (it could
    add anything) turns keeping off. External, anchored, per-method and outside-a-request URLs
    are built as Flask builds them.
    """

    #: The url_defaults functions whose effect the kept URLs allow for (by name).
    KNOWN_URL_DEFAULTS = frozenset({"_carry_url_session", "_version_static_urls"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built_urls: dict[tuple[Any, ...], str] = {}

    def url_for(  # type: ignore[override]
        self,
        endpoint: str,
        /,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Flask's url_for; a request's relative URL is looked up first, then kept."""
        req_ctx = _cv_request.get(None)
        if (
            req_ctx is None
            or _anchor is not None
            or _method is not None
            or _scheme is not None
            or _external
            or req_ctx.request.environ.get(URL_SESSION_FLAG)
            or not self._keeps_urls()
        ):
            return super().url_for(
                endpoint,
                _anchor=_anchor,
                _method=_method,
                _scheme=_scheme,
                _external=_external,
                **values,
            )
        current = req_ctx.request
        if endpoint[:1] == ".":
            endpoint = f"{current.blueprint}{endpoint}" if current.blueprint else endpoint[1:]
        key = (current.root_path, endpoint, *values.items())
        try:
            return self._built_urls[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key (a list): built every time
            return super().url_for(endpoint, **values)
        url = super().url_for(endpoint, **values)
        if len(self._built_urls) >= URL_CACHE_SIZE:
            self._built_urls.clear()
        self._built_urls[key] = url
        return url

    def _keeps_urls(self) -> bool:
        """Whether every url_defaults function is one the kept URLs allow for."""
        return all(
            function.__name__ in self.KNOWN_URL_DEFAULTS
            for functions in self.url_default_functions.values()
            for function in functions
        )
