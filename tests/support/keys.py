"""RSA keys for tests and benches that sign with a key of their own, made as the tool's are."""

from __future__ import annotations

from typing import Any

from lti_pl.lti.keys import new_private_key


def private_key_pem() -> tuple[Any, str]:
    """A fresh 2048-bit RSA private key and its unencrypted PKCS #8 PEM."""
    return new_private_key()
