"""What the gateway protocols share: the bounded body and the inbound log."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

from integrations.models import Integration, LogDirection, json_storable
from integrations.redaction import REDACTED
from integrations.services import integration_log_create, integration_secret_values
from webhooks.inbound import BodyTooLarge, read_body, request_headers


def read_limited_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over ``WEBHOOK_MAX_BODY_BYTES``."""
    try:
        return read_body(request)
    except BodyTooLarge:
        return None


def logged_headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers for the log: Authorization shown as sent-but-hidden."""
    headers = request_headers(request)
    if "Authorization" in request.headers:
        headers["Authorization"] = REDACTED
    return headers


def gateway_log(
    *,
    integration: Integration,
    request: HttpRequest,
    action: str,
    body: Any,
    answer: dict[str, Any],
    started: float,
    error_message: str | None = None,
    secrets: list[str] | None = None,
    status_code: int = 200,
) -> None:
    """One inbound integration log of a gateway call: headers (Authorization hidden), the body
    (sensitive keys such as ``sign_string`` and ``password`` redacted by the log service) and our
    answer."""
    integration_log_create(
        integration=integration,
        secrets=secrets if secrets is not None else integration_secret_values(integration),
        action=json_storable(action)[:64],
        direction=LogDirection.INBOUND,
        endpoint=f"{request.method} {request.path}",
        request_data={"headers": logged_headers(request), "body": body},
        response_data=answer,
        status_code=status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        error_message=error_message,
    )
