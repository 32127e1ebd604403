"""The Celery app. Settings come from Django's (``CELERY_*``); tasks are found in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")

app = Celery("vendhub_integrations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
