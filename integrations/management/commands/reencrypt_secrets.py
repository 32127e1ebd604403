"""``reencrypt_secrets``: move every stored secret to the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.crypto import DecryptionError
from integrations.services import secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (api_key, api_secret, webhook_secret, previous webhook "
        "secret) with the first key of FIELD_ENCRYPTION_KEYS. Run it after putting a new key "
        "first; once it reports no value left on an old key, the old key can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        try:
            report = secrets_reencrypt(dry_run=dry_run, progress=self.stderr.write)
        except DecryptionError as error:
            raise CommandError(f"stopped, nothing more written: {error}") from None
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(
            f"{report.rows} integration(s) read; {verb} {report.values_reencrypted} value(s); "
            f"{report.values_current} already on the current key."
        )
