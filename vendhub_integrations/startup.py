"""What the settings module needs before Django is set up: refusing to start, development keys."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import NoReturn


def refuse_to_start(reason: str) -> NoReturn:
    """Stop the process with one line on stderr: no traceback for a configuration mistake."""
    sys.stderr.write(f"vendhub: refusing to start: {reason}\n")
    sys.stderr.flush()
    raise SystemExit(1)


def development_encryption_key(var_dir: Path) -> str:
    """The key `make run` uses when DJANGO_DEBUG is on and no FIELD_ENCRYPTION_KEYS is set.

    Generated once into ``var/field_encryption.key`` (mode 0600) so that secrets stored in one run
    can be read in the next one.
    """
    path = var_dir / "field_encryption.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key = base64.b64encode(os.urandom(32)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    return path.read_text().strip()
