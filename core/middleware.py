"""Request ids, and JSON errors under ``/api/``.

Request ids: an incoming ``X-Request-ID`` is used when it is a sane token, else a new one is
made (django-structlog's ``RequestMiddleware``, between these two, binds it for every log line);
the response carries it back in ``X-Request-ID``."""

from __future__ import annotations

import re
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.response import Response

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, up to 128: enough for UUIDs and tracing ids, and nothing
# that could forge a log line or a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

GetResponse = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Drops an incoming ``X-Request-ID`` that is not a sane token (a new one is generated)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request.META.get("HTTP_X_REQUEST_ID")
        if value is not None and not _SANE_REQUEST_ID.fullmatch(value):
            del request.META["HTTP_X_REQUEST_ID"]
        return self.get_response(request)


class RequestIdHeaderMiddleware:
    """Echoes the request id bound for this request in the response's ``X-Request-ID``."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response[REQUEST_ID_HEADER] = str(request_id)
        return response


# What each error says when the response that carried it was not JSON (Django's own pages).
_API_ERROR_DETAILS = {
    404: "Not found.",
    500: "Internal server error.",
}


class ApiJsonErrorsMiddleware:
    """Every error under ``/api/`` is JSON, in debug mode too.

    ``handler404``/``handler500`` only apply when ``DEBUG`` is off; in debug mode Django answers
    an unknown URL, a method a plain view refuses or a crash with its HTML debug pages. This
    turns any such non-JSON error under ``/api/`` into ``{"detail": ...}`` with the same status
    and headers (``Allow``, ``Retry-After``). DRF's own responses (JSON, or the browsable API a
    staff user asked for) are left alone, and so is everything outside ``/api/`` (the admin)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or isinstance(response, Response)
            or _is_json(response)
        ):
            return response
        return _json_error(request, response)


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _json_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 405:
        detail = f'Method "{request.method}" not allowed.'
    else:
        detail = _API_ERROR_DETAILS.get(status) or f"{response.reason_phrase}."
    answer = JsonResponse({"detail": detail}, status=status)
    for name, value in response.items():
        if name.lower() not in ("content-type", "content-length"):
            answer[name] = value
    return answer
