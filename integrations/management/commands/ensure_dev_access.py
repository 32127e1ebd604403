"""``ensure_dev_access``: the local admin user and API key that ``make run`` prints.

Development only: it refuses to run with DJANGO_DEBUG off. The password and the key are kept in
``var/`` (mode 0600) so every ``make run`` prints the same ones; delete the files to get new ones.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework_api_key.models import APIKey

from integrations.services import api_key_create


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


class Command(BaseCommand):
    help = (
        "Make sure a local admin user and an API key exist and print both (used by `make run`; "
        "refuses to run when DJANGO_DEBUG is off)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="Admin user name (default admin).")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_dev_access is for development (DJANGO_DEBUG=1) only.")
        var_dir: Path = settings.VAR_DIR
        password_file = var_dir / "dev_admin_password"
        key_file = var_dir / "dev_api_key"

        password = password_file.read_text().strip() if password_file.exists() else ""
        if not password:
            password = secrets.token_urlsafe(12)
            _write_private(password_file, password)
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        if not user.check_password(password):
            user.set_password(password)
        user.save()

        key = key_file.read_text().strip() if key_file.exists() else ""
        if not key or not APIKey.objects.is_valid(key):
            _, key = api_key_create(name="make run (local development)")
            _write_private(key_file, key)

        # Where `make run` serves (scripts/run_all.py reads the same variables).
        host = os.environ.get("VENDHUB_RUN_HOST", "127.0.0.1")
        base = f"http://{host}:{os.environ.get('VENDHUB_RUN_PORT', '8000')}"
        self.stdout.write(f"Admin:   {base}/admin/  user {username}  password {password}")
        self.stdout.write(f"API key: {key}")
        self.stdout.write(
            f"         curl -H 'Authorization: Api-Key <key>' {base}/api/integrations"
        )
