"""Periodic tasks declared in code and installed into django-celery-beat's tables.

Each app calls ``ensure_interval_task`` from a ``post_migrate`` handler, so ``migrate`` installs
and updates the schedule: no manual step in the admin, and a changed interval takes effect on the
next deploy. The admin still shows the entries, and an operator may disable one there.
"""

from __future__ import annotations

import json
from typing import Any


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
