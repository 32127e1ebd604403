"""Logging settings: structlog for web, worker and beat, and what django-structlog logs."""

from __future__ import annotations

import logging

from vendhub_integrations.logs import log_format, logging_config
from vendhub_integrations.settings.environment import DEBUG, env
from vendhub_integrations.startup import refuse_to_start

# --- Logging ----------------------------------------------------------------------------------
# structlog for web, worker and beat (vendhub_integrations.logs): JSON lines in production, plain
# lines with DJANGO_DEBUG on; LOG_FORMAT=json|plain overrides. django-structlog binds request_id
# (from X-Request-ID when it is a sane token, else generated; echoed in the response) and carries
# it into the tasks a request sends.
try:
    LOG_FORMAT = log_format(debug=DEBUG, override=env.str("LOG_FORMAT", default=""))
except ValueError as _error:
    refuse_to_start(str(_error))
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# django-structlog's task_enqueued/started/succeeded lines say again what Celery's own "received"
# and "succeeded" lines say (with the task's name, which they lack): debug only. Failures keep
# their level.
DJANGO_STRUCTLOG_CELERY_DEFAULT_LOG_LEVEL = logging.DEBUG
# A 5xx's cause is logged where it happens, at ERROR (an unhandled exception by django.request
# with its traceback, an unavailable database by the API's exception handler); the access line
# itself is a warning, so an expected refusal (503 for an inactive integration) is no error.
DJANGO_STRUCTLOG_STATUS_5XX_LOG_LEVEL = logging.WARNING
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
