"""WSGI entry point: ``gunicorn vendhub_integrations.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")

application = get_wsgi_application()
