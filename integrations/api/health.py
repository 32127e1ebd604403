"""``GET /api/health``: is the database reachable, does the broker accept messages, when did a
worker last take one. Open without a key (load balancers and compose health checks call it) and
says nothing but these facts."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)
WORKER_STALE_AFTER = timedelta(minutes=3)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not ok" here
        logger.warning("health: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        return False


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
