"""Logs of web, worker and beat through structlog: one JSON object a line in production, readable
plain lines in development (``DJANGO_DEBUG`` on, as in ``make run``); ``LOG_FORMAT=json|plain``
overrides either.

Every line, from structlog and from the standard library's loggers (Django, Celery, the apps'
``logging.getLogger``) alike, goes through the same processors: the context bound with
``structlog.contextvars`` (``request_id`` by django-structlog's middleware, ``webhook_id``,
``job_id`` and ``integration`` by the services, ``task_id`` in the worker), the level, the
logger's name, a UTC timestamp, and the integration logs' redaction.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from integrations.redaction import REDACTED, redact, redact_url_credentials

FORMATS = ("json", "plain")
# A credential inside a message: "Authorization: Basic …", "Api-Key …", "Bearer …".
_CREDENTIAL_IN_TEXT = re.compile(r"\b(Api-Key|Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=:-]{4,}", re.I)


def redact_event(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """The integration logs' redaction as a structlog processor: values under sensitive keys
    (``password``, ``secret``, ``token``, ``authorization``, ``api_key``, ``cookie``, …) become
    ``[REDACTED]``, and credentials written into a text (``Authorization: Basic …``) are cut."""
    cleaned = redact(dict(event_dict))
    return {key: _scrub(value) for key, value in cleaned.items()}


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        value = _CREDENTIAL_IN_TEXT.sub(lambda match: f"{match.group(1)} {REDACTED}", value)
        return redact_url_credentials(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        redact_event,
    ]


def log_format(*, debug: bool, override: str | None) -> str:
    if override:
        value = override.strip().lower()
        if value not in FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {override!r}")
        return value
    return "plain" if debug else "json"


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Django's ``LOGGING``: one handler on stderr whose formatter renders every record (from
    structlog or the standard library) in ``fmt``; and structlog configured to hand its events
    to that formatter."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # Python warnings (Celery's "running as root", deprecations) become log lines too, rather
    # than bare text on stderr.
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    renderer,
                ],
                "foreign_pre_chain": _shared_processors(),
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console handler (plain text, debug only) would print twice.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "django.db.backends": {"level": "WARNING"},
            # django-structlog's own request_started/finished lines: one each per request.
            "django_structlog": {"level": level},
            # A worker's one "celery@host ready." line is logged whatever LOG_LEVEL says: it is
            # how operators (and the suite's and the benchmark's process starters) know it is up.
            "celery.apps.worker": {"level": "INFO"},
        },
    }
