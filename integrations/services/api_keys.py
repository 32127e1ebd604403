"""The hub's own API keys, for clients of its REST API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def api_key_create(*, name: str, expires_in_days: int | None = None) -> tuple[Any, str]:
    """A new API key (stored hashed) and its plaintext, which is never retrievable again."""

    from rest_framework_api_key.models import APIKey

    expiry = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    return APIKey.objects.create_key(name=name, expiry_date=expiry)
