"""Management commands: create_api_key, reencrypt_secrets and ensure_dev_access."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from core.testing.servers import REPO_ROOT
from integrations.crypto import PREFIX, DecryptionError, key_id_of
from integrations.models import Integration
from integrations.services import secrets_reencrypt
from integrations.tests.factories import IntegrationFactory

COMMANDS = ["create_api_key", "reencrypt_secrets", "ensure_dev_access"]
SECRET_COLUMNS = ("api_key", "api_secret", "webhook_secret", "previous_webhook_secret")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def kid(encoded: str) -> str:
    return key_id_of(base64.b64decode(encoded))


def columns() -> dict[str, list[str | None]]:
    """Every secret column of every row (soft-deleted ones too), as stored."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(SECRET_COLUMNS)} FROM integrations ORDER BY id")  # noqa: S608
        return {str(row[0]): list(row[1:]) for row in cursor.fetchall()}


def authenticates(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client.get("/api/integrations").status_code == 200


@pytest.mark.parametrize("command", COMMANDS)
def test_help_works(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command(command, "--help")

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    assert command in out


# --- create_api_key -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_api_key_prints_the_key_alone_on_the_last_line() -> None:
    out, err = run("create_api_key", "vendhub-backend")

    key = out.splitlines()[-1]
    assert key == key.strip()
    assert " " not in key
    assert authenticates(key)
    stored = APIKey.objects.get()
    assert stored.name == "vendhub-backend"
    assert key.startswith(stored.prefix + ".")
    assert key not in err
    assert stored.prefix in err


@pytest.mark.django_db
def test_each_key_is_new_and_works_on_its_own() -> None:
    first = run("create_api_key", "one")[0].splitlines()[-1]
    second = run("create_api_key", "two")[0].splitlines()[-1]

    assert first != second
    assert authenticates(first)
    assert authenticates(second)


@pytest.mark.django_db
def test_create_api_key_with_an_expiry() -> None:
    key = run("create_api_key", "temporary", "--expires-in-days", "7")[0].splitlines()[-1]

    expiry_date = APIKey.objects.get().expiry_date
    assert expiry_date is not None
    expires_in = expiry_date - timezone.now()
    assert abs(expires_in - timedelta(days=7)) < timedelta(minutes=1)
    assert authenticates(key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [(["  "], "NAME"), (["x", "--expires-in-days", "0"], "--expires-in-days")],
)
def test_create_api_key_refuses_bad_arguments(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("create_api_key", *args)

    assert not APIKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_create_api_key_from_the_command_line() -> None:
    """What a user runs: stdout's last line, and nothing else there but the key."""
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
        f"{connection.settings_dict['PORT'] or 5432}/{connection.settings_dict['NAME']}"
    )
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]

    result = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", "from-cli"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n")
    key = result.stdout.splitlines()[-1]
    assert authenticates(key)


# --- reencrypt_secrets ----------------------------------------------------------------------


@pytest.fixture
def rotation(db) -> dict:
    """Rows written under an old key, a row without secrets, and a soft-deleted row."""
    old, new = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        full = IntegrationFactory(
            api_key="rot-api-key",
            api_secret="rot-api-secret",
            webhook_secret="rot-webhook-secret",
            previous_webhook_secret="rot-previous-secret",
        )
        partial = IntegrationFactory(api_key="rot-only-key")
        deleted = IntegrationFactory(webhook_secret="rot-deleted-secret")
        Integration.all_objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
    empty = IntegrationFactory()
    return {
        "old": old,
        "new": new,
        "expected": {
            str(full.pk): [
                "rot-api-key",
                "rot-api-secret",
                "rot-webhook-secret",
                "rot-previous-secret",
            ],
            str(partial.pk): ["rot-only-key", None, None, None],
            str(deleted.pk): [None, None, "rot-deleted-secret", None],
            str(empty.pk): [None, None, None, None],
        },
    }


def decrypted() -> dict[str, list[str | None]]:
    return {
        str(row.pk): [getattr(row, name) for name in SECRET_COLUMNS]
        for row in Integration.all_objects.all()
    }


def test_reencrypt_moves_every_value_to_the_first_key(rotation: dict) -> None:
    old, new = rotation["old"], rotation["new"]

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        out, _ = run("reencrypt_secrets")
        assert decrypted() == rotation["expected"]

    assert "4 integration(s) read; re-encrypted 6 value(s); 0 already" in out
    for values in columns().values():
        for value in values:
            assert value is None or value.startswith(f"{PREFIX}{kid(new)}:")
    # the old key can now go
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypted() == rotation["expected"]
        again, _ = run("reencrypt_secrets")
    assert "re-encrypted 0 value(s); 6 already on the current key" in again


def test_reencrypt_dry_run_writes_nothing(rotation: dict) -> None:
    before = columns()

    with override_settings(FIELD_ENCRYPTION_KEYS=[rotation["new"], rotation["old"]]):
        out, _ = run("reencrypt_secrets", "--dry-run")

    assert "would re-encrypt 6 value(s)" in out
    assert columns() == before
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[rotation["new"]]),
        pytest.raises(DecryptionError),
    ):
        decrypted()


def test_reencrypt_with_nothing_to_do_changes_nothing(rotation: dict) -> None:
    before = columns()

    with override_settings(FIELD_ENCRYPTION_KEYS=[rotation["old"], rotation["new"]]):
        out, _ = run("reencrypt_secrets")

    assert "re-encrypted 0 value(s); 6 already on the current key" in out
    assert columns() == before


def test_reencrypt_in_small_batches_reaches_every_row(rotation: dict) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[rotation["new"], rotation["old"]]):
        report = secrets_reencrypt(batch_size=1)

    assert (report.rows, report.values_reencrypted) == (4, 6)
    for values in columns().values():
        for value in values:
            assert value is None or value.startswith(f"{PREFIX}{kid(rotation['new'])}:")


def test_reencrypt_stops_on_a_value_it_cannot_decrypt(rotation: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE integrations SET api_secret = api_key WHERE api_key IS NOT NULL")

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[rotation["new"], rotation["old"]]),
        pytest.raises(CommandError) as caught,
    ):
        run("reencrypt_secrets")

    message = str(caught.value)
    assert "stopped" in message
    assert "api_secret" in message
    assert "rot-" not in message
    assert "enc:v1" not in message


# --- ensure_dev_access ----------------------------------------------------------------------


@pytest.mark.django_db
def test_ensure_dev_access_refuses_without_debug() -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DJANGO_DEBUG"):
        run("ensure_dev_access")

    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_ensure_dev_access_prints_a_working_admin_and_key_and_keeps_them(tmp_path) -> None:
    with override_settings(
        DEBUG=True,
        VAR_DIR=tmp_path,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        first, _ = run("ensure_dev_access")
        second, _ = run("ensure_dev_access")

    assert first == second
    admin_line = next(line for line in first.splitlines() if line.startswith("Admin:"))
    password = admin_line.rsplit("password ", 1)[1]
    key = next(line for line in first.splitlines() if line.startswith("API key:")).split()[-1]
    user = get_user_model().objects.get(username="admin")
    assert user.is_staff and user.is_superuser
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        assert user.check_password(password)
    assert authenticates(key)
    assert APIKey.objects.count() == 1
    assert oct((tmp_path / "dev_api_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_ensure_dev_access_prints_the_port_make_run_serves_on(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VENDHUB_RUN_PORT", "8040")
    with override_settings(
        DEBUG=True,
        VAR_DIR=tmp_path,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        out, _ = run("ensure_dev_access")

    assert "Admin:   http://127.0.0.1:8040/admin/" in out
    assert "http://127.0.0.1:8040/api/integrations" in out
    assert ":8000" not in out
