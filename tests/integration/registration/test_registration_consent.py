"""Dynamic Registration needs an administrator's consent and fetches only what policy allows.

Each refusal is checked twice: nothing is stored, and nothing was fetched (a listening socket
counts the connections the tool made), and every refusal shows the same text.
"""

from __future__ import annotations

import html
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from lti_pl.extensions import db
from lti_pl.lti.dynamic_registration import REFUSED_MESSAGE
from lti_pl.models.base import utcnow
from lti_pl.models.platforms import Platform
from lti_pl.models.security import RegistrationInvite
from lti_pl.services import registration
from tests.support.platform_emulator import PlatformEmulator

TOKEN = "reg-token-1"


class Listener:
    """A TCP port on 127.0.0.1 that counts connections (proof that something was fetched)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/.well-known/openid-configuration"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    item = Listener()
    yield item
    item.close()


@pytest.fixture
def emulator(app, db_session, tool_jwks):
    item = PlatformEmulator(client_id="consent-client", tool_jwks=lambda: tool_jwks).start()
    yield item
    item.stop()


@pytest.fixture
def dev_policy(app):
    app.config.update(LTI_PL_REGISTRATION_ALLOW_HTTP=True, LTI_PL_REGISTRATION_ALLOW_PRIVATE=True)


def new_invite(valid=timedelta(hours=1)):
    _invite, secret = registration.create_invite(utcnow(), valid)
    db.session.commit()
    return secret


def config_url(emulator):
    return emulator.url + "/.well-known/openid-configuration"


def get(client, path, url, token=TOKEN):
    return client.get(path, query_string={"openid_configuration": url, "registration_token": token})


def refused(response):
    assert response.status_code == 400
    assert html.escape(REFUSED_MESSAGE) in response.get_data(as_text=True)
    return True


def stored(emulator):
    return db.session.scalars(select(Platform).where(Platform.issuer == emulator.issuer)).all()


def test_registration_without_invite_or_allow_list_fetches_nothing(client, dev_policy, listener):
    assert refused(get(client, "/lti/register", listener.url))
    assert listener.connections == 0


def test_invite_registers_once_and_is_used_up(client, dev_policy, emulator):
    secret = new_invite()
    assert get(client, f"/lti/register/{secret}", config_url(emulator)).status_code == 200
    (platform,) = stored(emulator)
    invite = db.session.scalars(select(RegistrationInvite)).one()
    assert invite.used_at is not None
    assert invite.platform_id == platform.id

    again = get(client, f"/lti/register/{secret}", config_url(emulator))
    assert refused(again)
    assert len(emulator.registrations) == 1


def test_invite_in_the_query_string_works_too(client, dev_policy, emulator):
    secret = new_invite()
    response = client.get(
        "/lti/register",
        query_string={
            "invite": secret,
            "openid_configuration": config_url(emulator),
            "registration_token": TOKEN,
        },
    )
    assert response.status_code == 200
    assert len(stored(emulator)) == 1


def test_failed_registration_keeps_the_invite_for_another_try(client, dev_policy, emulator):
    secret = new_invite()
    assert refused(get(client, f"/lti/register/{secret}", config_url(emulator), token="wrong"))
    assert db.session.scalars(select(RegistrationInvite)).one().used_at is None
    assert get(client, f"/lti/register/{secret}", config_url(emulator)).status_code == 200


def test_expired_or_unknown_invite_is_refused(client, dev_policy, listener):
    expired = new_invite(valid=timedelta(seconds=-1))
    assert refused(get(client, f"/lti/register/{expired}", listener.url))
    assert refused(get(client, "/lti/register/not-an-invite", listener.url))
    assert listener.connections == 0


def test_allow_listed_issuer_registers_without_invite(app, client, dev_policy, emulator):
    app.config["LTI_PL_REGISTRATION_ISSUERS"] = frozenset({emulator.issuer})
    assert get(client, "/lti/register", config_url(emulator)).status_code == 200
    assert len(stored(emulator)) == 1


def test_issuer_not_on_the_allow_list_is_refused_before_any_fetch(
    app, client, dev_policy, listener
):
    app.config["LTI_PL_REGISTRATION_ISSUERS"] = frozenset({"https://lms.example.edu"})
    assert refused(get(client, "/lti/register", listener.url))
    assert listener.connections == 0


def test_plain_http_is_refused_unless_configured(app, client, listener):
    app.config["LTI_PL_REGISTRATION_ALLOW_PRIVATE"] = True
    assert refused(get(client, f"/lti/register/{new_invite()}", listener.url))
    assert listener.connections == 0


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("10.1.2.3", id="private"),
        pytest.param("169.254.169.254", id="cloud-metadata"),
        pytest.param("[::1]", id="ipv6-loopback"),
        pytest.param("localhost", id="localhost-name"),
    ],
)
def test_private_and_loopback_addresses_are_refused_unless_configured(app, client, listener, host):
    app.config["LTI_PL_REGISTRATION_ALLOW_HTTP"] = True
    port = listener.sock.getsockname()[1]
    url = f"http://{host}:{port}/.well-known/openid-configuration"
    assert refused(get(client, f"/lti/register/{new_invite()}", url))
    assert listener.connections == 0


def test_platform_naming_private_endpoints_is_refused(app, client, emulator):
    """An allowed configuration URL cannot smuggle a private token or JWKS endpoint in."""
    from lti_pl.lti.dynamic_registration import RegistrationError, UrlPolicy, check_url

    with pytest.raises(RegistrationError) as error:
        check_url("https://10.0.0.5/jwks", UrlPolicy(allow_http=True), "jwks_uri")
    assert error.value.reason == "private_address"


def test_refusals_read_the_same_whether_or_not_the_address_answers(
    app, client, dev_policy, emulator
):
    """No oracle: a closed port, a refusing LMS and a missing invite give one page."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_url = f"http://127.0.0.1:{closed.getsockname()[1]}/.well-known/openid-configuration"
    closed.close()
    pages = {
        get(client, f"/lti/register/{new_invite()}", closed_url).get_data(as_text=True),
        get(client, f"/lti/register/{new_invite()}", config_url(emulator), token="x").get_data(
            as_text=True
        ),
        get(client, "/lti/register", config_url(emulator)).get_data(as_text=True),
    }
    assert len(pages) == 1


def test_invite_command_prints_a_one_time_link(runner, db_session):
    result = runner.invoke(args=["platforms", "invite", "--hours", "2"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://tool.test/lti/register/")
    invite = db.session.scalars(select(RegistrationInvite)).one()
    assert invite.token_hash not in link  # only the hash is stored
    assert timedelta(hours=1.9) < invite.expires_at - invite.created_at <= timedelta(hours=2)
