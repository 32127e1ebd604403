"""The Celery app. Settings come from Django's (``CELERY_*``); tasks are found in each app."""

import os

from celery import Celery

from vendhub_integrations.broker import install as install_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")

install_embedded_broker()
app = Celery("vendhub_integrations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
