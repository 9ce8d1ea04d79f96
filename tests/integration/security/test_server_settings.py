"""`lti-pl serve`'s gunicorn settings bound what a slow or hostile client can hold."""

from __future__ import annotations

from gunicorn.config import Config

from lti_pl.server import gunicorn_options


def settings(app, **config):
    app.config.update(config)
    return gunicorn_options(app, host="127.0.0.1", port=8000, workers=None, threads=8)


def test_forwarded_headers_are_not_trusted_without_a_configured_proxy(app):
    assert settings(app, LTI_PL_PROXY_HOPS=0)["forwarded_allow_ips"] == ""
    assert settings(app, LTI_PL_PROXY_HOPS=1)["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_keepalive_timeouts_and_request_sizes_are_bounded(app):
    options = settings(app, LTI_PL_PROXY_HOPS=0)
    assert options["keepalive"] <= 5
    assert options["timeout"] <= 60
    assert options["limit_request_line"] <= 8190
    assert options["limit_request_fields"] <= 100
    config = Config()
    for key, value in options.items():
        config.set(key, value)  # every setting is one gunicorn knows
    assert config.worker_class_str == "gthread"
