"""``manage.py apply_retention``: what beat runs daily, by hand (``--dry-run`` counts first)."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.retention import DEFAULT_BATCH_SIZE
from integrations.services import integration_log_purge
from webhooks.services import webhook_purge


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


class Command(BaseCommand):
    help = (
        "Delete integration logs older than RETENTION_LOG_DAYS (default 30) and completed or "
        "ignored webhooks older than RETENTION_WEBHOOK_DAYS (default 90), in batches of short "
        "transactions. Pending, processing and failed webhooks are never deleted. Beat runs the "
        "same every day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--log-days",
            type=_positive,
            default=None,
            help=(
                "Keep logs this many days "
                f"(default RETENTION_LOG_DAYS={settings.RETENTION_LOG_DAYS})."
            ),
        )
        parser.add_argument(
            "--webhook-days",
            type=_positive,
            default=None,
            help=(
                "Keep finished webhooks this many days "
                f"(default RETENTION_WEBHOOK_DAYS={settings.RETENTION_WEBHOOK_DAYS})."
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows deleted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        common = {"batch_size": options["batch_size"], "dry_run": dry_run}
        logs = integration_log_purge(older_than_days=options["log_days"], **common)
        webhooks = webhook_purge(older_than_days=options["webhook_days"], **common)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"integration logs: {verb} {logs.deleted}"
            + ("" if dry_run else f" in {logs.batches} batches ({logs.seconds:.1f} s)")
        )
        self.stdout.write(
            f"webhooks (completed, ignored): {verb} {webhooks.deleted}"
            + ("" if dry_run else f" in {webhooks.batches} batches ({webhooks.seconds:.1f} s)")
        )
