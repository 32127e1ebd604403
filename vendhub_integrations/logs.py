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


# Periodic housekeeping that runs every few seconds or every minute whether or not there is work.
ROUTINE_TASKS = frozenset(
    {
        "webhooks.sweep",
        "webhooks.backlog_check",
        "syncjobs.sweep",
        "syncjobs.run_scheduled_syncs",
        "integrations.worker_heartbeat",
        "integrations.alerts_sweep",
        "payments.cancel_expired_invoices",
        "payments.fiscal_receipts_sweep",
        "payments.click_pass_settle",
    }
)


class RoutineTaskFilter(logging.Filter):
    """Celery's per-run lines of a routine task (beat's "Sending due task", the worker's
    "received" and "succeeded") only at DEBUG: the sweeps run every 10 seconds and an idle hub
    would otherwise write dozens of lines a minute about nothing. What a routine run changes, its
    service logs itself; its failures keep their level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = _task_name(record)
        if name is None or not _is_routine(name):
            return True
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def _task_name(record: logging.LogRecord) -> str | None:
    args = record.args
    if isinstance(args, dict):  # the worker's "Task %(name)s[%(id)s] received/succeeded"
        name = args.get("name")
    elif isinstance(args, tuple) and len(args) == 2:  # beat's "Sending due task %s (%s)"
        name = args[1]
    else:
        return None
    return name if isinstance(name, str) else None


def _is_routine(name: str) -> bool:
    return name in ROUTINE_TASKS


class ExpectedRefusalFilter(logging.Filter):
    """The development server's access line of a 5xx as a WARNING, not an ERROR: the error
    itself, when there is one, is logged where it happens (django.request, the API's exception
    handler); an expected refusal (503 for an inactive integration) is none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


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
        "filters": {
            "routine_tasks": {"()": RoutineTaskFilter},
            "expected_refusals": {"()": ExpectedRefusalFilter},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # An idle hub stays quiet: routine tasks' per-run lines only at DEBUG.
            "celery.beat": {"filters": ["routine_tasks"]},
            "celery.worker.strategy": {"filters": ["routine_tasks"]},
            "celery.app.trace": {"filters": ["routine_tasks"]},
            "django.server": {"filters": ["expected_refusals"]},
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
