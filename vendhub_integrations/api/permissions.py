"""Who may call the API: a holder of an API key, or a logged-in staff user (browsable API)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import HasAPIKey, KeyParser


class HasAPIKeyOrStaff(BasePermission):
    """``Authorization: Api-Key <key>`` (stored hashed), or a staff session."""

    message = "Authentication required: send 'Authorization: Api-Key <key>' or log in as staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and user.is_active:
            return True
        return HasAPIKey().has_permission(request, view)


def request_actor(request: HttpRequest | Request) -> str:
    """Who makes ``request``, as a record of a change names them: ``"user <username>"`` for a
    session (the admin, the browsable API), ``"api key <name>"`` for a key, else ``"anonymous"``."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user {user.get_username()}"
    key = KeyParser().get(request)
    if key:
        try:
            return f"api key {APIKey.objects.get_from_key(key).name}"
        except APIKey.DoesNotExist:
            pass
    return "anonymous"
