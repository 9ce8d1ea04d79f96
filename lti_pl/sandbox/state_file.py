"""The sandbox platform's files: its RSA key and its JSON state (links, gradebook, requests)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

logger = logging.getLogger(__name__)

KEY_FILE = "sandbox_platform_key.pem"
STATE_FILE = "sandbox_state.json"


def load_or_create_key(folder: Path) -> rsa.RSAPrivateKey:
    """The sandbox's RSA key, generated on first start and kept in the instance folder."""
    path = folder / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


class StateFile:
    """Persistence of `state` in the instance folder (part of SandboxPlatform)."""

    @property
    def _state_path(self) -> Path:
        return self.folder / STATE_FILE

    def _load(self) -> None:
        try:
            data = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self.state.update({k: v for k, v in data.items() if k in self.state})

    def save(self) -> None:
        """Write the gradebook and links (atomically) so a restart keeps them."""
        with self.lock:
            tmp = self._state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
            tmp.replace(self._state_path)

    def reset(self) -> None:
        """Forget links, line items and scores (the key stays)."""
        with self.lock:
            for key in self.state:
                self.state[key] = {} if key in {"line_items", "scores"} else []
            self.save()
