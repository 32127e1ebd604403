"""Uzum Bank's Merchant API: five JSON webhooks on ``/api/webhooks/receive/<code>/<operation>``.

HTTP 200 with the operation's answer for a success; HTTP 400 with
``{serviceId, timestamp, status: "FAILED", errorCode: "<string>", transId?}`` for every error,
never a 5xx. Checks in the order of gateways.md 1.3: the verb and the operation (10003: no body
is needed for it, so it comes first), ``Authorization: Basic base64(api_key:api_secret)``
compared in constant time (10001), the integration inactive (99999: the merchant is switched
off, Uzum may try later), the body a JSON object (10002), required fields and their JSON types
(10005), ``serviceId`` equal to ``config.service_id`` as strings (10006), then the operation's
own codes (``payments.services.uzum``). An unexpected fault, the database down included, is
99999. Every call writes an inbound integration log, the Authorization header hidden.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.db import Error as DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.crypto import DecryptionError
from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationStatus
from integrations.services import integration_secret_values
from payments.models import PaymentInvoice, PaymentTransaction
from payments.protocols.common import (
    basic_auth_matches,
    gateway_log,
    parse_json,
    read_limited_body,
    som_display,
)
from payments.services import uzum as service
from payments.services.events import now_ms
from payments.services.uzum import UzumError

logger = logging.getLogger(__name__)

ACCESS_DENIED = "10001"
PARSE_ERROR = "10002"
INVALID_OPERATION = "10003"
MISSING_PARAMETERS = "10005"
INVALID_SERVICE = "10006"
UNAVAILABLE = "99999"

OPERATIONS = ("check", "create", "confirm", "reverse", "status")
_INT64 = 2**63 - 1
# A transId Uzum sends is a UUID; any printable id that fits the column is taken verbatim.
_TRANS_ID = re.compile(r"[\x21-\x7e]{1,64}")


class _Refused(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _operation(request: HttpRequest) -> str | None:
    match = request.resolver_match
    operation = match.kwargs.get("operation") if match is not None else None
    return operation if operation in OPERATIONS else None


def _authorized(request: HttpRequest, integration: Integration) -> bool:
    return basic_auth_matches(request, login=integration.api_key, password=integration.api_secret)


def _integer(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if type(value) is not int or not -_INT64 - 1 <= value <= _INT64:
        raise _Refused(MISSING_PARAMETERS, name)
    return value


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise _Refused(MISSING_PARAMETERS, name)
    return value


def _trans_id(body: dict[str, Any]) -> str:
    value = body.get("transId")
    if not isinstance(value, str) or not _TRANS_ID.fullmatch(value):
        raise _Refused(MISSING_PARAMETERS, "transId")
    return value


def _params(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("params")
    if not isinstance(value, dict):
        raise _Refused(MISSING_PARAMETERS, "params")
    return value


def _check_fields(operation: str, body: dict[str, Any]) -> None:
    """10005: every field the operation needs, of its JSON type."""
    _integer(body, "serviceId")
    _integer(body, "timestamp")
    if operation in ("check", "create"):
        _params(body)
    if operation != "check":
        _trans_id(body)
    if operation == "create":
        _integer(body, "amount")
    if operation == "confirm":
        _text(body, "paymentSource")
        _text(body, "phone")


def _account(invoice: PaymentInvoice) -> dict[str, Any]:
    return {"account": {"value": invoice.order_id}}


def _time_or_none(value: int) -> int | None:
    return value or None


# --- operations ------------------------------------------------------------------------------


def _check(integration: Integration, body: dict[str, Any]) -> dict[str, Any]:
    invoice = service.uzum_check(integration=integration, params=_params(body))
    return {
        "serviceId": body["serviceId"],
        "timestamp": now_ms(),
        "status": "OK",
        "data": {**_account(invoice), "amount": {"value": som_display(invoice.amount)}},
    }


def _create(integration: Integration, body: dict[str, Any]) -> dict[str, Any]:
    payment = service.uzum_create(
        integration=integration,
        trans_id=_trans_id(body),
        params=_params(body),
        amount=_integer(body, "amount"),
    )
    return {
        "serviceId": body["serviceId"],
        "transId": payment.provider_transaction_id,
        "status": service.CREATED,
        "transTime": payment.create_time,
        "data": _account(payment.invoice),
        "amount": payment.amount,
    }


def _confirm(integration: Integration, body: dict[str, Any]) -> dict[str, Any]:
    details = json_storable({name: body.get(name) for name in service.CONFIRM_DETAILS})
    payment = service.uzum_confirm(
        integration=integration, trans_id=_trans_id(body), details=details
    )
    return {
        "serviceId": body["serviceId"],
        "transId": payment.provider_transaction_id,
        "status": service.CONFIRMED,
        "confirmTime": payment.perform_time,
        "data": _account(payment.invoice),
        "amount": payment.amount,
    }


def _reverse(integration: Integration, body: dict[str, Any]) -> dict[str, Any]:
    payment = service.uzum_reverse(integration=integration, trans_id=_trans_id(body))
    return {
        "serviceId": body["serviceId"],
        "transId": payment.provider_transaction_id,
        "status": service.REVERSED,
        "reverseTime": payment.cancel_time,
        "data": {},
        "amount": payment.amount,
    }


def _status(integration: Integration, body: dict[str, Any]) -> dict[str, Any]:
    payment: PaymentTransaction = service.uzum_transaction_status(
        integration=integration, trans_id=_trans_id(body)
    )
    status = service.uzum_status(payment)
    return {
        "serviceId": body["serviceId"],
        "transId": payment.provider_transaction_id,
        "status": status,
        "transTime": payment.create_time,
        "confirmTime": _time_or_none(payment.perform_time),
        # A FAILED one was never reversed: its cancel time is the expiry's, not a reversal's.
        "reverseTime": None if status == service.FAILED else _time_or_none(payment.cancel_time),
        "data": {},
        "amount": payment.amount,
    }


OPERATION_HANDLERS: dict[str, Callable[[Integration, dict[str, Any]], dict[str, Any]]] = {
    "check": _check,
    "create": _create,
    "confirm": _confirm,
    "reverse": _reverse,
    "status": _status,
}


# --- the receive URL -------------------------------------------------------------------------


def _configured_service_id(integration: Integration | None) -> int | str | None:
    if integration is None:
        return None
    service_id = integration.typed_config.service_id
    if service_id is not None and re.fullmatch(r"-?\d{1,19}", service_id):
        return int(service_id)
    return service_id


def error_body(code: str, *, body: Any, integration: Integration | None) -> dict[str, Any]:
    """The error answer: ``serviceId`` as the request sent it (an integer), else the config's;
    ``transId`` when the request had one."""
    sent = body.get("serviceId") if isinstance(body, dict) else None
    answer: dict[str, Any] = {
        "serviceId": sent if type(sent) is int else _configured_service_id(integration),
        "timestamp": now_ms(),
        "status": "FAILED",
        "errorCode": code,
    }
    if isinstance(body, dict) and isinstance(body.get("transId"), str):
        answer["transId"] = body["transId"]
    return answer


def _answer(request: HttpRequest, integration: Integration, seen: dict[str, Any]) -> dict[str, Any]:
    """The success answer, or raises _Refused/UzumError; ``seen`` keeps what was read so far,
    for the error answer and the log."""
    # The body is read (bounded) and parsed before any check, though none of 10003, 10001 and
    # 99999 needs it: every error answer echoes the request's transId and serviceId (1.2).
    # Nothing in it is acted on before the credentials are checked.
    raw = read_limited_body(request)
    unreadable: str | None = None
    body: Any = None
    if raw is None:
        unreadable = "the body is too large"
    else:
        try:
            body = json_storable(parse_json(raw))
        except (ValueError, RecursionError):
            seen["body"] = {"raw": raw[:4096].decode("utf-8", errors="replace")}
            unreadable = ""
        else:
            seen["body"] = body
    operation = _operation(request)
    if request.method != "POST" or operation is None:
        raise _Refused(INVALID_OPERATION, "POST to one of " + ", ".join(OPERATIONS))
    seen["action"] = f"uzum.{operation}"
    if not _authorized(request, integration):
        raise _Refused(ACCESS_DENIED)
    if integration.status == IntegrationStatus.INACTIVE:
        raise _Refused(UNAVAILABLE, "the integration is inactive")
    if unreadable is not None:
        raise _Refused(PARSE_ERROR, unreadable)
    if not isinstance(body, dict):
        raise _Refused(PARSE_ERROR, "the body is not a JSON object")
    _check_fields(operation, body)
    if str(body["serviceId"]) != (integration.typed_config.service_id or ""):
        raise _Refused(INVALID_SERVICE)
    return OPERATION_HANDLERS[operation](integration, body)


def receive(request: HttpRequest, integration: Integration) -> HttpResponse:
    """Answer one Uzum call (200 or 400, never a 5xx) and log it."""
    started = time.monotonic()
    seen: dict[str, Any] = {"action": "uzum", "body": {}}
    secrets: list[str] = []
    error: tuple[str, str] | None = None
    try:
        secrets = integration_secret_values(integration)
        answer = _answer(request, integration, seen)
    except (_Refused, UzumError) as refused:
        error = (refused.code, refused.detail)
    except Exception as failure:
        # Never a 5xx: the change (if any) was rolled back with its transaction.
        if isinstance(failure, DecryptionError):
            logger.error("uzum: the credentials of %s cannot be decrypted", integration.code)
        else:
            logger.exception("uzum: call to %s failed", integration.code)
        error = (UNAVAILABLE, "unexpected error")
    if error is not None:
        answer = error_body(error[0], body=seen["body"], integration=integration)
    try:
        gateway_log(
            integration=integration,
            request=request,
            action=seen["action"],
            body=seen["body"],
            answer=answer,
            started=started,
            status_code=400 if error else 200,
            error_message=f"{error[0]}: {error[1]}".rstrip(": ") if error else None,
            secrets=secrets or None,
        )
    except DatabaseError:
        # The database is down: Uzum still gets its answer (and a 99999 is what it would get).
        logger.exception("uzum: the log of a call to %s could not be written", integration.code)
    return JsonResponse(answer, status=400 if error else 200)


def unavailable(request: HttpRequest) -> HttpResponse:
    """99999 when the database cannot be read, so not even the integration is known: Uzum
    retries (or polls /status) later."""
    body: Any = {}
    raw = read_limited_body(request)
    if raw:
        try:
            body = parse_json(raw)
        except (ValueError, RecursionError):
            body = {}
    return JsonResponse(error_body(UNAVAILABLE, body=body, integration=None), status=400)
