"""gunicorn's settings, read from the working directory: its own lines (start-up, worker
restarts, errors) in the hub's log format, JSON in production. There is no separate access log:
django-structlog writes one ``request_finished`` line per request, with its ``request_id``."""

import os

from vendhub_integrations.logs import log_format, logging_config

_debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")
_level = os.environ.get("LOG_LEVEL", "INFO")
logconfig_dict = logging_config(
    fmt=log_format(debug=_debug, override=os.environ.get("LOG_FORMAT")), level=_level
)
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"handlers": ["console"], "level": _level, "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    }
)
