"""With DJANGO_DEBUG off, every entry point refuses to start without its secrets, in one line."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from core.testing.servers import REPO_ROOT

ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "wsgi": [sys.executable, "-c", "import vendhub_integrations.wsgi"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "vendhub_integrations", "report"],
}


def _run(command: list[str], **env_changes: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "FIELD_ENCRYPTION_KEYS"}
    env["DJANGO_DEBUG"] = "0"
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_refuses_to_start_without_encryption_keys(entry_point: str) -> None:
    result = _run(ENTRY_POINTS[entry_point])

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]], result.stderr  # one line, no traceback
    assert "FIELD_ENCRYPTION_KEYS" in lines[0]
    assert "Traceback" not in result.stderr


def test_refuses_to_start_without_secret_key() -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    result = _run(ENTRY_POINTS["manage.py"], FIELD_ENCRYPTION_KEYS=key, DJANGO_SECRET_KEY=None)

    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "keys, problem",
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
    ],
)
def test_refuses_invalid_keys_without_echoing_them(keys: str, problem: str) -> None:
    result = _run(ENTRY_POINTS["manage.py"], FIELD_ENCRYPTION_KEYS=keys)

    assert result.returncode == 1
    assert problem in result.stderr
    assert keys not in result.stderr


def test_starts_with_a_valid_key() -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    result = _run(ENTRY_POINTS["manage.py"], FIELD_ENCRYPTION_KEYS=key)

    assert result.returncode == 0, result.stderr
    assert key not in result.stdout + result.stderr


def test_debug_mode_generates_a_persistent_development_key(tmp_path) -> None:
    command = [
        sys.executable,
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.FIELD_ENCRYPTION_KEYS[0])",
    ]
    env = {"DJANGO_DEBUG": "1", "VENDHUB_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None}
    first = _run(command, DJANGO_SETTINGS_MODULE="vendhub_integrations.settings", **env)
    second = _run(command, DJANGO_SETTINGS_MODULE="vendhub_integrations.settings", **env)

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    key_file = tmp_path / "field_encryption.key"
    assert key_file.read_text().strip() == first.stdout.strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
