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


# What ``make run`` leaves in ``var/`` so that ``.venv/bin/python manage.py …`` in a new shell
# runs with the same development settings (DJANGO_DEBUG on, hence the development keys in var/).
DEVELOPMENT_SETTINGS_FILE = "development.env"
DEVELOPMENT_SETTINGS = {"DJANGO_DEBUG": "1"}


def var_dir_from_environment(base_dir: Path) -> Path:
    return Path(os.environ.get("VENDHUB_VAR_DIR") or base_dir / "var")


def write_development_settings(var_dir: Path) -> Path:
    """Record ``make run``'s settings in ``var/development.env``."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / DEVELOPMENT_SETTINGS_FILE
    lines = [
        "# Written by `make run`: manage.py reads it when these variables are not set. Delete it",
        "# (or set DJANGO_DEBUG=0) to run manage.py with production settings in this checkout.",
        *(f"{name}={value}" for name, value in DEVELOPMENT_SETTINGS.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def load_development_settings(var_dir: Path) -> None:
    """Take the variables of ``var/development.env`` (left by ``make run``) that the environment
    does not set. Only manage.py reads it: web, worker and beat in production never do."""
    path = var_dir / DEVELOPMENT_SETTINGS_FILE
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())
