"""The Celery app. Settings come from Django's (``CELERY_*``); tasks are found in each app."""

import os

from celery import Celery

from vendhub_integrations.broker import install as install_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")

install_embedded_broker()
app = Celery("vendhub_integrations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat records its own heartbeat (GET /healthz reports it as "beat").
from celery.signals import beat_init  # noqa: E402

from integrations.heartbeats import start_beat_heartbeat  # noqa: E402

beat_init.connect(start_beat_heartbeat, weak=False)
