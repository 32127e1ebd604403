"""``manage.py check_heartbeat worker|beat``: exit 0 when that process's heartbeat is fresh, 1
otherwise (docker-compose's health check of the beat and worker containers)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.heartbeats import beat_freshness, worker_freshness


class Command(BaseCommand):
    help = "Exit 0 when the worker's or beat's heartbeat is fresh, 1 when it is stale or missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("process", choices=["worker", "beat"])

    def handle(self, *args: Any, **options: Any) -> None:
        freshness = worker_freshness() if options["process"] == "worker" else beat_freshness()
        state = freshness.describe()
        if not freshness.ok:
            raise CommandError(f"{options['process']}: {state}")
        self.stdout.write(f"{options['process']}: {state}")
