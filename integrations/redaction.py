"""Keep credentials out of integration logs.

Values under sensitive keys become ``"[REDACTED]"``, and any stored credential of the integration
that still shows up inside a string (a URL, a body echoed back) is cut out too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
_SENSITIVE_PARTS = ("password", "secret", "token", "authorization")
_SENSITIVE_NAMES = {"api_key", "sign_string", "cookie"}
# Shorter values would also match ordinary words; real credentials are longer.
_MIN_SCRUB_LENGTH = 4


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SENSITIVE_NAMES or any(part in lowered for part in _SENSITIVE_PARTS)


def redact(data: Any, *, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``data`` with sensitive keys masked and the given secret values cut out."""
    values = sorted(
        {s for s in secrets if s and len(s) >= _MIN_SCRUB_LENGTH}, key=len, reverse=True
    )
    return _redact(data, values)


def _redact(data: Any, secrets: list[str]) -> Any:
    if isinstance(data, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and is_sensitive_key(key)
            else _redact(value, secrets)
            for key, value in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [_redact(item, secrets) for item in data]
    if isinstance(data, str):
        for secret in secrets:
            if secret in data:
                data = data.replace(secret, REDACTED)
        return data
    return data


def truncate_json(data: Any, *, limit: int) -> Any:
    """``data`` itself when its JSON fits in ``limit`` bytes, else a marked preview of it."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    size = len(text.encode("utf-8"))
    if size <= limit:
        return data
    budget = limit - 256
    preview = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    # The preview is itself stored as a JSON string, where quotes and backslashes (frequent in
    # JSON text) take two bytes: shorten it until its encoded form fits the budget too.
    while (excess := _json_size(preview) - budget) > 0:
        preview = preview[: len(preview) - excess]
    return {"truncated": True, "size_bytes": size, "preview": preview}


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
