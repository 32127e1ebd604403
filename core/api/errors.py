"""JSON errors everywhere under /api/: DRF's handler, the 409 every app answers the same way, the
503 of a database that does not answer, and JSON 404 and 500 pages."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.encryption_keys import DecryptionError

logger = logging.getLogger(__name__)

# What a client is told to wait when the database does not answer (restarting, failing over).
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 30


class Conflict(Exception):
    """A 409: the request is well formed but the row's state refuses it.

    The body is ``{"detail": <why>, **fields}``, where ``fields`` are what the caller needs to act
    (``status``: the row's current status; ``active_job_id``: the job in the way). A view raises
    it from the service's refusal; the handler below answers it."""

    def __init__(self, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.body = {"detail": detail, **fields}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        return Response(exc.body, 409)
    if isinstance(exc, DecryptionError):
        # Key missing from FIELD_ENCRYPTION_KEYS or a tampered column: an operator has to act.
        logger.error("cannot decrypt a stored secret: %s", exc)
        return Response({"detail": "A stored secret cannot be decrypted.", "error": str(exc)}, 500)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable (or dropped the connection): nothing was committed, so the
        # caller must try again, a webhook sender included: 503 with Retry-After, never a 2xx
        # (and never a 500 that a sender might take as final).
        logger.error("database unavailable: %s", exc)
        return Response(DATABASE_UNAVAILABLE, 503, headers=database_unavailable_headers())
    return drf_exception_handler(exc, context)


DATABASE_UNAVAILABLE = {
    "detail": "The database is unavailable; try again later.",
    "error": "database_unavailable",
}


def database_unavailable_headers() -> dict[str, str]:
    return {"Retry-After": str(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS)}


def database_unavailable(exc: Exception) -> JsonResponse:
    """The handler's 503 for a view outside DRF (the receive URL's kept integration)."""
    logger.error("database unavailable: %s", exc)
    return JsonResponse(DATABASE_UNAVAILABLE, status=503, headers=database_unavailable_headers())


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON under /api/, Django's page elsewhere (the admin)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
