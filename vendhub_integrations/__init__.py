"""The VendHub integration hub project: settings, URLs, the Celery app and the WSGI entry point."""

from vendhub_integrations.celery import app as celery_app

__all__ = ("celery_app",)
