"""The per-installation secret of the `dev` profile.

Outside `embedded`/`test`, a secret setting left at its built-in placeholder must never be
a constant anybody can read in the source: every process of one installation (one
`LUMI_DATA_DIR`) derives it from a random key created once under the data dir (mode 0600).
`prod` still refuses placeholders: its processes do not share a data dir.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = "installation.key"


def installation_key(data_dir: Path) -> bytes:
    """The random key of this installation, created atomically on first use."""
    path = Path(data_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) >= 64:
            return bytes.fromhex(key)
        raise RuntimeError(f"{path} is damaged; delete it to create a new key") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def derived_secret(data_dir: Path, name: str) -> str:
    """The secret setting `name` of this installation (the same in every one of its processes)."""
    return hmac.new(installation_key(data_dir), name.encode(), hashlib.sha256).hexdigest()
