"""Telegram Bot API as an alert channel (``provider: "telegram"``, gateways.md section 6).

``api_secret`` is the bot token, ``config.chat_id`` the chat, ``api_endpoint`` defaults to
``https://api.telegram.org``. A message is ``POST <api_endpoint>/bot<token>/sendMessage`` with
``{"chat_id", "text"}``; the connection test asks ``getMe`` first. The token sits in the URL's
path: the HTTP client's logs redact it (a stored secret, and ``/bot…`` in any URL), and no
message this module writes ever quotes the URL.
"""

from __future__ import annotations

import time
from typing import Any

from integrations.http import HttpError, HttpResult, IntegrationHttpClient, response_json
from integrations.models import Integration
from integrations.providers.base import (
    ChannelError,
    ConnectionTestResult,
    Provider,
    send_test_message,
)
from integrations.redaction import redact

DEFAULT_ENDPOINT = "https://api.telegram.org"


def _method_url(integration: Integration, method: str) -> str:
    token = integration.api_secret
    if not token:
        raise ChannelError("api_secret (the bot token) is not set", permanent=True)
    base = (integration.api_endpoint or DEFAULT_ENDPOINT).rstrip("/")
    return f"{base}/bot{token}/{method}"


def _body(result: HttpResult) -> dict[str, Any]:
    try:
        body = response_json(result.response)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _call(
    integration: Integration,
    client: IntegrationHttpClient,
    method: str,
    *,
    action: str,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Bot API call; its ``result``, or ChannelError saying what Telegram answered."""
    url = _method_url(integration, method)
    try:
        if payload is None:
            result = client.request("GET", url, action=action)
        else:
            result = client.request("POST", url, action=action, json=payload)
    except HttpError as error:
        raise ChannelError(f"No answer from Telegram ({error})") from None
    body = _body(result)
    if result.ok and body.get("ok") is True:
        answer = body.get("result")
        return answer if isinstance(answer, dict) else {}
    parameters = body.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    description = str(body.get("description") or "no description")
    # Telegram may quote what it was sent; the token never leaves in a message.
    description = redact(description, secrets=[integration.api_secret or ""])
    raise ChannelError(
        f"Telegram {method}: HTTP {result.status_code}: {description}",
        status_code=result.status_code,
        retry_after=float(retry_after) if isinstance(retry_after, (int, float)) else None,
        # A bad chat, token or request stays bad; 429 and 5xx pass.
        permanent=400 <= result.status_code < 500 and result.status_code != 429,
    )


class Telegram(Provider):
    can_test = True
    can_notify = True

    def send_message(
        self, integration: Integration, client: IntegrationHttpClient, *, subject: str, text: str
    ) -> None:
        chat_id = integration.typed_config.chat_id
        if not chat_id:
            raise ChannelError("config.chat_id is not set", permanent=True)
        # gateways.md: {"chat_id": <config.chat_id>}: a number configured is sent as that
        # number (Telegram takes either; a server comparing with the configured id sees it).
        raw = (integration.config or {}).get("chat_id")
        chat: int | str = raw if isinstance(raw, int) and not isinstance(raw, bool) else chat_id
        _call(
            integration,
            client,
            "sendMessage",
            action="send_message",
            payload={"chat_id": chat, "text": text},
        )

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        started = time.monotonic()
        try:
            bot = _call(integration, client, "getMe", action="test_connection")
        except ChannelError as error:
            duration = int((time.monotonic() - started) * 1000)
            return ConnectionTestResult(False, error.status_code, duration, str(error))
        name = bot.get("username") or bot.get("first_name") or "the bot"
        return send_test_message(self, integration, client, started=started, done=f"@{name}: ")
