"""``manage.py retry_webhooks``: put failed (or ignored) webhooks back in the queue."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from integrations.models import Integration
from webhooks.models import WebhookStatus
from webhooks.selectors import webhook_list_for_retry
from webhooks.services import webhook_retry_many

_RETRYABLE = (WebhookStatus.FAILED, WebhookStatus.IGNORED)


def _since(value: str) -> datetime:
    problem = CommandError(f"--since: {value!r} is not an ISO 8601 date or date-time")
    try:
        # Django's parsers raise ValueError for well-shaped non-dates (month 13, February 30).
        moment = parse_datetime(value)
        day = parse_date(value) if moment is None else None
    except ValueError:
        raise problem from None
    if moment is None:
        if day is None:
            raise problem
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Retry webhooks in bulk: each matching webhook goes back to 'pending' with a fresh set of "
        "retries and is sent to a worker. Ignored webhooks refused for their signature are never "
        "retried. Prints how many matched, were retried and were skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status",
            default=WebhookStatus.FAILED,
            choices=[str(status) for status in _RETRYABLE],
            help="Which webhooks to retry (default: failed).",
        )
        parser.add_argument(
            "--integration",
            metavar="CODE",
            help="Only webhooks of the integration with this code.",
        )
        parser.add_argument(
            "--since",
            metavar="ISO8601",
            help="Only webhooks received at or after this time, e.g. 2026-01-31T08:00:00+05:00 "
            "(a date alone means its midnight; no offset means the server's time zone).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count and list what would be retried; change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["integration"]
        if code and not Integration.all_objects.filter(code=code).exists():
            raise CommandError(f"No integration with code {code!r}.")
        since = _since(options["since"]) if options["since"] else None
        webhooks = webhook_list_for_retry(
            status=options["status"], integration_code=code, since=since
        )
        report = webhook_retry_many(webhooks=webhooks, dry_run=options["dry_run"])
        verbosity = options["verbosity"]
        if verbosity > 1:
            for webhook_id in report.ids:
                self.stdout.write(webhook_id)
        verb = "would retry" if options["dry_run"] else "retried"
        self.stdout.write(
            f"matched {report.matched}, {verb} {report.retried}, skipped {report.skipped}"
            + (" (dry run: nothing changed)" if options["dry_run"] else "")
        )
