"""The admin's page for a locked-out login (django-axes' ``AXES_LOCKOUT_CALLABLE``): the admin's
own look (``admin/lockout.html`` extends ``admin/base_site.html``) and when to try again, instead
of axes' bare text. An XMLHttpRequest still gets axes' JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.helpers import (
    get_client_username,
    get_cool_off,
    get_cool_off_iso8601,
    get_failure_limit,
)
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    cool_off = get_cool_off(request)
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return _axes_json(request, cool_off, credentials)
    # A failed attempt during the lockout starts the cool-off again, so it ends this long from now.
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": minutes,
        "try_again_at": timezone.localtime() + cool_off if cool_off else None,
    }
    response = TemplateResponse(
        request, "admin/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    response.render()
    return response


def _axes_json(
    request: HttpRequest,
    cool_off: timedelta | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """What axes itself answers an XMLHttpRequest."""
    body: dict[str, Any] = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
    }
    if cool_off:
        body["cooloff_time"] = get_cool_off_iso8601(cool_off)
    return JsonResponse(body, status=settings.AXES_HTTP_RESPONSE_CODE)
