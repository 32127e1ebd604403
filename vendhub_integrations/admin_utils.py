"""Small pieces the admin screens of every app share."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from integrations.redaction import redact


def pretty_json(value: Any, *, redact_keys: bool = False) -> str:
    """A JSON value as an indented, escaped ``<pre>`` block."""
    if redact_keys:
        value = redact(value)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html(
        '<pre style="white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32em; '
        'overflow: auto; margin: 0">{}</pre>',
        text,
    )


def short(text: str | None, limit: int = 80) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows that only the hub writes (webhooks, jobs, logs): operators look and act, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryAdmin(ViewOnlyAdmin):
    """A record of what happened (logs, sync jobs, synced records): the API cannot delete it and
    neither can the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
