"""Who may call the API: a holder of an API key, or a logged-in staff user (browsable API)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_api_key.permissions import HasAPIKey


class HasAPIKeyOrStaff(BasePermission):
    """``Authorization: Api-Key <key>`` (stored hashed), or a staff session."""

    message = "Authentication required: send 'Authorization: Api-Key <key>' or log in as staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and user.is_active:
            return True
        return HasAPIKey().has_permission(request, view)
