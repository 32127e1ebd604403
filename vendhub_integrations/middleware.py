"""Request ids: an incoming ``X-Request-ID`` is used when it is a sane token, else a new one is
made (django-structlog's ``RequestMiddleware``, between these two, binds it for every log line);
the response carries it back in ``X-Request-ID``."""

from __future__ import annotations

import re
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

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
