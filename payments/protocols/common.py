"""What the gateway protocols share: the bounded body and the inbound log."""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import time
from typing import Any

from django.http import HttpRequest

from integrations.jsontext import json_loads_bounded, json_storable
from integrations.models import Integration, LogDirection
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


def basic_auth_matches(request: HttpRequest, *, login: str | None, password: str | None) -> bool:
    """Whether the request's ``Authorization: Basic`` carries ``login:password``, compared in
    constant time; never when either is not configured."""
    scheme, _, encoded = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic" or not login or not password:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(decoded, f"{login}:{password}".encode())


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """A gateway's JSON body, strictly: UTF-8, no NaN/Infinity, bounded nesting (a deep body is
    a ``ValueError`` like any other unreadable one, never a ``RecursionError`` later in the log's
    or the answer's walk of it). Each protocol answers the error in its own code."""
    return json_loads_bounded(
        body.decode("utf-8"), parse_float=_finite_float, parse_constant=_reject_constant
    )


def som_display(tiyin: int) -> str:
    """A display amount in so'm: ``1200000`` tiyin is ``"12000"``, ``1200050`` ``"12000.50"``."""
    whole, rest = divmod(tiyin, 100)
    return str(whole) if rest == 0 else f"{whole}.{rest:02d}"
