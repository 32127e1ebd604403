"""Periodic tasks declared in code and installed into django-celery-beat's tables.

Each app lists its ``IntervalTask``s and calls ``install_on_migrate`` from ``ready()``, so
``migrate`` installs and updates the schedule: no manual step in the admin, and a changed interval
takes effect on the next deploy. The admin still shows the entries, and an operator may disable
one there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


@dataclass(frozen=True)
class IntervalTask:
    """One beat entry: ``every_seconds`` is a number, or the name of a setting read at migrate
    time (so a deploy's environment sets it)."""

    name: str
    task: str
    every_seconds: int | str

    def seconds(self) -> int:
        if isinstance(self.every_seconds, str):
            from django.conf import settings

            return int(getattr(settings, self.every_seconds))
        return self.every_seconds


def install_schedule(tasks: Iterable[IntervalTask]) -> None:
    for entry in tasks:
        ensure_interval_task(name=entry.name, task=entry.task, every_seconds=entry.seconds())


def install_on_migrate(config: AppConfig, tasks: Iterable[IntervalTask]) -> None:
    """Installs ``tasks`` after each ``migrate`` of ``config``'s app."""
    entries = tuple(tasks)

    def install(sender: AppConfig, **kwargs: Any) -> None:
        install_schedule(entries)

    post_migrate.connect(
        install, sender=config, weak=False, dispatch_uid=f"{config.label}: beat schedule"
    )


def ensure_interval_task(
    *, name: str, task: str, every_seconds: int, kwargs: dict[str, Any] | None = None
) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds, period=IntervalSchedule.SECONDS
    )
    periodic, created = PeriodicTask.objects.get_or_create(
        name=name,
        defaults={"task": task, "interval": schedule, "kwargs": json.dumps(kwargs or {})},
    )
    if not created and (
        periodic.task != task
        or periodic.interval_id != schedule.id
        or json.loads(periodic.kwargs or "{}") != (kwargs or {})
    ):
        periodic.task = task
        periodic.interval = schedule
        periodic.crontab = None
        periodic.kwargs = json.dumps(kwargs or {})
        periodic.save()
