"""``manage.py test_integration CODE``: test an integration's connection (exit 0 ok, 1 not)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import Integration
from integrations.services.connection import integration_test_connection


class Command(BaseCommand):
    help = (
        "Test the connection of the integration with this code (1C: GET <root>/$metadata; "
        "REST: GET api_endpoint or config.test_path; an alert channel (telegram, smtp, eskiz) "
        "sends a test message, Telegram after getMe). Writes an outbound integration log and "
        "keeps the result in metadata. Exit status 0 on success, 1 on failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The integration's code.")

    def handle(self, *args: Any, code: str, **options: Any) -> None:
        integration = Integration.objects.filter(code=code).first()
        if integration is None:
            raise CommandError(f"No integration with code {code!r}.")
        result = integration_test_connection(integration=integration)
        # The message already says the HTTP status and time ("Connected: HTTP 200 in 55 ms",
        # "HTTP 401: …", "No answer from …"); repeating them read as noise.
        line = f"{integration.code}: {result.message}"
        if result.success:
            self.stdout.write(self.style.SUCCESS(line))
            return
        self.stderr.write(self.style.ERROR(line))
        sys.exit(1)
