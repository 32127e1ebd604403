"""``GET /healthz`` and ``GET /api/health``: is the database reachable, does the broker accept
messages, when did a worker and beat last show a heartbeat. Open without a key (load balancers
and compose health checks call them) and say nothing but these facts: no host name, URL or
exception message (which may carry either), only the kind of failure."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import heartbeats

logger = logging.getLogger(__name__)
WORKER_STALE_AFTER = heartbeats.WORKER_STALE_AFTER


def database_check() -> str:
    """``ok``, or ``error: <exception class>``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # any failure means "not ok" here
        logger.warning("health: database unreachable", exc_info=True)
        return f"error: {type(error).__name__}"


def broker_check() -> str:
    """``ok``, or ``error: <exception class>``."""
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:
        logger.warning("health: broker unreachable", exc_info=True)
        return f"error: {type(error).__name__}"


def _heartbeat(read: Callable[[], heartbeats.Freshness]) -> str:
    """A heartbeat's state; failing to read it (a table not migrated yet) is reported, not a 500."""
    try:
        return read().describe()
    except Exception as error:
        logger.warning("health: heartbeat unreadable", exc_info=True)
        return f"unknown: {type(error).__name__}"


def _with_leader(beat: str) -> str:
    """``ok (leader <host>, pid <pid>)`` while a beat holds the lease: the beat's own host name,
    never the database's or the broker's address."""
    from integrations.leadership import current_leader

    try:
        leader = current_leader()
    except Exception:  # a table not migrated yet: the heartbeat alone
        logger.warning("health: beat leader unreadable", exc_info=True)
        return beat
    return f"{beat} (leader {leader.describe()})" if leader else beat


def _database_ok() -> bool:
    return database_check() == "ok"


def _broker_ok() -> bool:
    return broker_check() == "ok"


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Health of the database, broker and workers",
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "broker": serializers.CharField(),
                    "worker_last_seen_at": serializers.DateTimeField(allow_null=True),
                    "worker": serializers.CharField(),
                },
            ),
            503: None,
        },
    )
    def get(self, request: Request) -> Response:
        from integrations.models import WorkerHeartbeat

        database = _database_ok()
        broker = _broker_ok()
        last_seen = None
        if database:
            heartbeat = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
            last_seen = heartbeat.last_seen_at if heartbeat else None
        worker_fresh = last_seen is not None and timezone.now() - last_seen < WORKER_STALE_AFTER
        body = {
            "status": "ok" if database and broker else "error",
            "database": "ok" if database else "error",
            "broker": "ok" if broker else "error",
            "worker_last_seen_at": last_seen,
            "worker": "ok" if worker_fresh else ("unknown" if last_seen is None else "stale"),
        }
        return Response(body, status=200 if database and broker else 503)


class HealthzView(APIView):
    """``GET /healthz``: 200 when the database and the broker answer, else 503. Each check is
    ``ok`` or what failed; the worker and beat come from their heartbeats and do not change the
    status code (a web process can serve while the worker restarts)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Health of the database, broker, worker and beat",
        responses={
            200: inline_serializer(
                "Healthz",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "broker": serializers.CharField(),
                    "worker": serializers.CharField(),
                    "beat": serializers.CharField(),
                },
            ),
            503: None,
        },
    )
    def get(self, request: Request) -> Response:
        database = database_check()
        broker = broker_check()
        if database == "ok":
            worker = _heartbeat(heartbeats.worker_freshness)
            beat = _heartbeat(heartbeats.beat_freshness)
            if beat == "ok":
                beat = _with_leader(beat)
        else:
            worker = beat = "unknown: the database is unreachable"
        healthy = database == "ok" and broker == "ok"
        body = {
            "status": "ok" if healthy else "error",
            "database": database,
            "broker": broker,
            "worker": worker,
            "beat": beat,
        }
        response = Response(body, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response
