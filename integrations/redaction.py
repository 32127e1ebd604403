"""Keep credentials out of integration logs.

Values under sensitive keys become ``"[REDACTED]"``, and any stored credential of the integration
that still shows up inside a string (a URL, a body echoed back) is cut out too.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
_SENSITIVE_PARTS = ("password", "secret", "token", "authorization")
_SENSITIVE_NAMES = {"api_key", "sign_string", "cookie"}
# Shorter values would also match ordinary words; real credentials are longer.
_MIN_SCRUB_LENGTH = 4


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return (
        lowered in _SENSITIVE_NAMES
        # Header spellings of the same thing: X-Api-Key, x-apikey, Set-Cookie.
        or lowered.endswith(("api_key", "apikey", "cookie"))
        or any(part in lowered for part in _SENSITIVE_PARTS)
    )


def redact(data: Any, *, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``data`` with sensitive keys masked and the given secret values cut out."""
    values = sorted(
        {s for s in secrets if s and len(s) >= _MIN_SCRUB_LENGTH}, key=len, reverse=True
    )
    return _redact(data, values)


# Credentials that travel inside a URL: Telegram's bot token in the path (``/bot<token>/``) and
# a login in the authority (``smtp://user:password@host``).
_BOT_TOKEN_PATH = re.compile(r"/bot\d+:[^/?#\s]+")
_URL_LOGIN = re.compile(r"(?<=://)[^/@\s]+@")


def redact_url_credentials(text: str) -> str:
    """``text`` (a URL, a log line naming one) with a bot token in a path and a login in a URL's
    authority masked, whether or not they are a stored credential of the integration."""
    if "/bot" in text:
        text = _BOT_TOKEN_PATH.sub(f"/bot{REDACTED}", text)
    if "@" in text:
        text = _URL_LOGIN.sub(f"{REDACTED}@", text)
    return text


class UrlCredentialFilter(logging.Filter):
    """A logging filter that masks credentials in URLs of a record's message: urllib3 logs each
    request's path at DEBUG, and Telegram's path holds the bot token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_url_credentials(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


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


def _is_config_secret(key: object) -> bool:
    # "previous_webhook_secret_expires_at" names a secret but holds a time: it stays visible.
    return isinstance(key, str) and is_sensitive_key(key) and not key.endswith("_at")


def mask_config(config: Any) -> Any:
    """``config`` as shown to people and API clients: secrets kept there (``forward_secret``)
    become ``"[REDACTED]"``."""
    if isinstance(config, dict):
        return {
            key: REDACTED if _is_config_secret(key) and value else mask_config(value)
            for key, value in config.items()
        }
    if isinstance(config, list):
        return [mask_config(item) for item in config]
    return config


def unmask_config(new: Any, old: Any) -> Any:
    """``new`` with every ``"[REDACTED]"`` that a client sent back replaced by the stored value,
    so saving a config read from the API or the admin keeps its secrets."""
    if isinstance(new, dict):
        previous = old if isinstance(old, dict) else {}
        return {
            key: previous.get(key)
            if value == REDACTED and _is_config_secret(key) and key in previous
            else unmask_config(value, previous.get(key))
            for key, value in new.items()
        }
    return new
