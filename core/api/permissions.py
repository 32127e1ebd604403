"""Who may call the API: a holder of an API key, or a logged-in staff user (browsable API).

A request that sends an ``Api-Key`` that is refused is told why (invalid, revoked or expired),
never "credentials were not provided"; that message stays for a request that sent no key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import KeyParser

INVALID_KEY = "Invalid API key."
REVOKED_KEY = "This API key has been revoked."
EXPIRED_KEY = "This API key has expired."


class HasAPIKeyOrStaff(BasePermission):
    """``Authorization: Api-Key <key>`` (stored hashed), or a staff session."""

    message = "Authentication required: send 'Authorization: Api-Key <key>' or log in as staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and user.is_active:
            return True
        key = KeyParser().get(request)
        if key is None:
            return False
        refusal = api_key_refusal(key)
        if refusal is not None:
            raise AuthenticationFailed(refusal)
        return True


def api_key_refusal(key: str) -> str | None:
    """Why ``key`` is refused, or None when it may be used. Revoked and expired are told only
    for the whole, verified key: a guessed prefix learns nothing about the key that has it."""
    prefix, _, _ = key.partition(".")
    stored = APIKey.objects.filter(prefix=prefix).first() if prefix else None
    if stored is None or not stored.is_valid(key):
        return INVALID_KEY
    if stored.revoked:
        return REVOKED_KEY
    if stored.has_expired:
        return EXPIRED_KEY
    return None


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
