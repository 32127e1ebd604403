"""Eskiz SMS as an alert channel (``provider: "eskiz"``, gateways.md section 6).

``api_endpoint`` defaults to ``https://notify.eskiz.uz/api``; ``api_key``/``api_secret`` are the
login e-mail and password, ``config.to`` the phone numbers and ``config.from`` the sender name.
The hub logs in (``POST auth/login``) for a token that lasts about 30 days, keeps it encrypted in
``ChannelToken`` between sends, renews it (``PATCH auth/refresh``) once it is a few days old, and
logs in again when Eskiz answers 401. One ``POST message/sms/send`` per number. The password and
the token are scrubbed from every log the HTTP client writes, and no message quotes them.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from integrations.http import HttpError, HttpResult, IntegrationHttpClient, response_json
from integrations.models import ChannelToken, Integration
from integrations.providers.base import (
    ChannelError,
    ConnectionTestResult,
    Provider,
    send_test_message,
)

DEFAULT_ENDPOINT = "https://notify.eskiz.uz/api"
# The token lasts about 30 days: renewed well before.
REFRESH_AFTER = timedelta(days=7)
_FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


def _base(integration: Integration) -> str:
    return (integration.api_endpoint or DEFAULT_ENDPOINT).rstrip("/")


def _post_form(
    client: IntegrationHttpClient,
    method: str,
    url: str,
    *,
    action: str,
    fields: dict[str, str],
    token: str | None = None,
) -> HttpResult:
    headers = dict(_FORM)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        return client.request(
            method,
            url,
            action=action,
            headers=headers,
            data=urlencode(fields),
            log_request_body=fields,
        )
    except HttpError as error:
        raise ChannelError(f"No answer from Eskiz ({error})") from None


def _token_in(result: HttpResult) -> str | None:
    try:
        body = response_json(result.response)
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    token = data.get("token") if isinstance(data, dict) else None
    return token if isinstance(token, str) and token else None


def _store(integration: Integration, token: str) -> None:
    ChannelToken.objects.update_or_create(
        integration=integration, defaults={"token": token, "obtained_at": timezone.now()}
    )


def _login(integration: Integration, client: IntegrationHttpClient) -> str:
    if not integration.api_key or not integration.api_secret:
        raise ChannelError(
            "api_key (the login e-mail) and api_secret (the password) must be set", permanent=True
        )
    result = _post_form(
        client,
        "POST",
        f"{_base(integration)}/auth/login",
        action="login",
        fields={"email": integration.api_key, "password": integration.api_secret},
    )
    token = _token_in(result) if result.ok else None
    if token is None:
        refused = " (the login was refused)" if result.status_code in (401, 403) else ""
        raise ChannelError(
            f"Eskiz login: HTTP {result.status_code}{refused}",
            status_code=result.status_code,
            permanent=bool(refused),
        )
    client.add_secret(token)
    _store(integration, token)
    return token


def _stored_token(integration: Integration) -> tuple[str | None, Any]:
    row = ChannelToken.objects.filter(integration=integration).first()
    if row is None:
        return None, None
    return row.token, row.obtained_at


def _current_token(integration: Integration, client: IntegrationHttpClient) -> str:
    """The kept token, renewed when it is old (a refused renewal: log in again)."""
    token, obtained_at = _stored_token(integration)
    if not token:
        return _login(integration, client)
    client.add_secret(token)
    if timezone.now() - obtained_at < REFRESH_AFTER:
        return token
    try:
        result = client.request(
            "PATCH",
            f"{_base(integration)}/auth/refresh",
            action="refresh_token",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    except HttpError:
        return token  # still valid for weeks: try the renewal on the next send
    if result.status_code == 401:
        return _login(integration, client)
    renewed = _token_in(result) if result.ok else None
    if renewed:
        client.add_secret(renewed)
    _store(integration, renewed or token)
    return renewed or token


def _phone(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if not re.fullmatch(r"998\d{9}", digits):
        raise ChannelError(
            f"config.to: {number!r} is not a phone number 998XXXXXXXXX", permanent=True
        )
    return digits


class Eskiz(Provider):
    can_test = True
    can_notify = True

    def send_message(
        self, integration: Integration, client: IntegrationHttpClient, *, subject: str, text: str
    ) -> None:
        config = integration.typed_config
        numbers = [_phone(number) for number in config.recipients]
        if not numbers:
            raise ChannelError("config.to lists no phone number", permanent=True)
        token = _current_token(integration, client)
        url = f"{_base(integration)}/message/sms/send"
        for number in numbers:
            fields = {"mobile_phone": number, "message": text}
            if config.sender:
                fields["from"] = config.sender
            result = _post_form(
                client, "POST", url, action="send_message", fields=fields, token=token
            )
            if result.status_code == 401:
                token = _login(integration, client)
                result = _post_form(
                    client, "POST", url, action="send_message", fields=fields, token=token
                )
            if not result.ok:
                raise ChannelError(
                    f"Eskiz send to {number}: HTTP {result.status_code}",
                    status_code=result.status_code,
                    permanent=400 <= result.status_code < 500 and result.status_code != 429,
                )

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        started = time.monotonic()
        try:
            _login(integration, client)
        except ChannelError as error:
            duration = int((time.monotonic() - started) * 1000)
            return ConnectionTestResult(False, error.status_code, duration, str(error))
        return send_test_message(self, integration, client, started=started, done="logged in: ")
