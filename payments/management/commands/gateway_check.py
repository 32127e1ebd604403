"""``manage.py gateway_check CODE [--base-url URL] [--timeout S]``: the gateway's conformance
scenario against the hub's receive URL; exit 0 only when every step passed."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import Integration, IntegrationStatus
from payments.conformance import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT_SECONDS,
    SCENARIOS,
    CannotCheck,
    gateway_check_run,
)


class Command(BaseCommand):
    help = (
        "Run a payment gateway's own conformance scenario for the integration with this code, "
        "as real HTTP calls to <base-url>/api/webhooks/receive/<CODE> (Uzum: …/<operation>): "
        "Payme the sandbox sequence, Click every rule of its error table, Uzum and Paynet the "
        "rows of their error tables and their replays. It creates the invoices it needs "
        "(order ids gwcheck-…) and cancels those still payable afterwards. One line per step "
        "(ok, or FAIL with what was expected and what came back), then a summary. Exit status "
        f"0 only when every step passed, 1 otherwise. Providers: {', '.join(SCENARIOS)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The payment integration's code.")
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"Where the hub serves (default {DEFAULT_BASE_URL}).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT_SECONDS,
            help=f"Seconds to wait for each answer (default {DEFAULT_TIMEOUT_SECONDS:g}).",
        )

    def handle(self, *args: Any, code: str, base_url: str, timeout: float, **options: Any) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(f"--base-url must be an http:// or https:// URL, not {base_url!r}.")
        if not timeout > 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        integration = Integration.objects.filter(code=code).first()
        if integration is None:
            raise CommandError(f"No integration with code {code!r}.")
        if integration.provider not in SCENARIOS:
            raise CommandError(
                f"Integration {code!r} has provider {integration.provider!r}, which "
                f"gateway_check cannot check (it checks {', '.join(SCENARIOS)})."
            )
        self.stdout.write(
            f"gateway_check {integration.code} ({integration.provider}) against "
            f"{base_url.rstrip('/')}/api/webhooks/receive/{integration.code}"
        )
        if integration.status == IntegrationStatus.INACTIVE:
            # The gateway protocols refuse every call of a switched-off integration.
            self.stdout.write(
                self.style.WARNING("note: the integration is inactive; expect every step to fail")
            )
        try:
            report = gateway_check_run(
                integration=integration,
                base_url=base_url,
                timeout=timeout,
                write=self._step_line,
            )
        except CannotCheck as error:
            raise CommandError(str(error)) from None
        for line in report.cleanup:
            self.stdout.write(f"cleanup {line}")
        summary = report.summary()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stdout.write(self.style.ERROR(summary))
        sys.exit(1)

    def _step_line(self, line: str) -> None:
        style = self.style.ERROR if ": FAIL " in line else (lambda text: text)
        self.stdout.write(style(line))
