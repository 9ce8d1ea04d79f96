"""Which URLs a user, an LMS or an admin may make the tool fetch (the one SSRF check).

Dynamic registration (the platform's OpenID configuration and endpoints) and the CASE provider
import (a URL a teacher types) both fetch addresses someone else named. Before either fetches,
`check_url` resolves the host and refuses private, loopback, link-local and other non-global
addresses unless the `UrlPolicy` allows them (development, and the test emulators on 127.0.0.1).
Callers also never follow redirects, so an allowed URL cannot hand the fetch on to an internal one.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class UrlRefusedError(Exception):
    """The URL may not be fetched; `reason` is a code for the log, the message is for people."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class UrlPolicy:
    """Which URLs may be fetched.

    Attributes:
        allow_http: plain http is accepted (development and the test emulators only).
        allow_private: private, loopback and link-local addresses are accepted.
    """

    allow_http: bool = False
    allow_private: bool = False


def _resolved_addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def check_url(url: Any, policy: UrlPolicy, what: str = "url") -> str:
    """The URL, if the policy lets the tool fetch it.

    Raises:
        UrlRefusedError: with a reason code (`bad_url`, `insecure_url`, `unresolved`,
            `private_address`).
    """
    if not isinstance(url, str) or len(url) > 1000:
        raise UrlRefusedError(f"{what} is not a URL", "bad_url")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as error:
        raise UrlRefusedError(f"{what} has a bad port", "bad_url") from error
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise UrlRefusedError(f"{what} is not a URL", "bad_url")
    if parts.scheme != "https" and not (parts.scheme == "http" and policy.allow_http):
        raise UrlRefusedError(f"{what} must be https", "insecure_url")
    addresses = _resolved_addresses(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise UrlRefusedError(f"{what}: the host does not resolve", "unresolved")
    if not policy.allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global or ip.is_multicast:
                raise UrlRefusedError(f"{what} names a private address", "private_address")
    return url
