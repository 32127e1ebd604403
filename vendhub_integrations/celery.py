"""The Celery app. Settings come from Django's (``CELERY_*``); tasks are found in each app."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, setup_logging, task_postrun, task_prerun, worker_ready
from django.db import close_old_connections
from django_structlog.celery.steps import DjangoStructLogInitStep

from integrations.heartbeats import record_worker_started
from integrations.watchers import start_beat_heartbeat, start_worker_watch
from vendhub_integrations.broker import install as install_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")

install_embedded_broker()
app = Celery("vendhub_integrations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# django-structlog in the worker: each task's lines carry its task_id and the request_id (and
# whatever else was bound) of the code that sent it.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect(weak=False)
def _logging_from_django_settings(**kwargs: object) -> None:
    """Worker and beat log through Django's LOGGING (structlog, JSON in production) rather than
    Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect(weak=False)
@task_postrun.connect(weak=False)
def _database_connections_checked(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, what Django does around each request: a connection past CONN_MAX_AGE,
    left in a transaction or broken by an error is closed, a kept one is health-checked before
    its next use (CONN_HEALTH_CHECKS). Celery's own fixup closes every connection around every
    task unless CELERY_DB_REUSE_MAX is set: a new PostgreSQL connection per webhook cost more
    than processing it. Not for an eager task, which runs inside its caller's transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


# Beat records its own heartbeat (GET /healthz reports it as "beat"), from its start; the worker
# records its first one as it starts, the heartbeat task the next ones.
beat_init.connect(start_beat_heartbeat, weak=False)
# The worker watches beat's heartbeat (and beat the worker's) for the alerts beat.down/worker.down.
worker_ready.connect(start_worker_watch, weak=False)
worker_ready.connect(record_worker_started, weak=False)
