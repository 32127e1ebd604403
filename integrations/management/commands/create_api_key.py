"""``create_api_key NAME``: a new API key; the key alone is the last line of stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for the REST API (header 'Authorization: Api-Key <key>'). Only a hash "
        "is stored: the key is shown once, alone on the last line of stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the key is for, e.g. 'vendhub-backend'.")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Let the key expire after N days."
        )

    def handle(self, *args: Any, name: str, expires_in_days: int | None, **options: Any) -> None:
        if not name.strip():
            raise CommandError("NAME may not be blank.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number.")
        api_key, key = api_key_create(name=name.strip(), expires_in_days=expires_in_days)
        self.stderr.write(f"Created API key {api_key.prefix}… named {api_key.name!r}.")
        self.stdout.write(key)
