"""Payme's Merchant API: JSON-RPC 2.0 over POST on the integration's receive URL.

Always HTTP 200 with a ``result`` or an ``error`` ``{code, message: {ru, uz, en}, data}``.
Order of checks: not POST (-32300), not JSON (-32700), not an RPC object (-32600), wrong
``Authorization: Basic base64("Paycom:" + api_secret)`` (-32504, whatever the method), the
integration inactive (-32400: the merchant is switched off, Payme may try later), unknown method
(-32601, ``data`` = method), ill-typed params (-32600; -32602 for ``SetFiscalData``, as
``gateways.md`` 5.1 says), then the method's own errors (``payments.services.payme``; an unknown
transaction in ``SetFiscalData`` is -32001, ``payments.protocols.payme_fiscal``). Every call
writes an inbound integration log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.crypto import DecryptionError
from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationStatus
from integrations.services import integration_secret_values
from payments.models import CancelReason, PaymentTransaction
from payments.protocols.common import (
    basic_auth_matches,
    gateway_log,
    parse_json,
    read_limited_body,
)
from payments.protocols.payme_fiscal import TRANSACTION_ID, FiscalParamsInvalid, set_fiscal_data
from payments.protocols.payme_messages import MESSAGES
from payments.services import payme as service
from payments.services.payme import PaymeError

logger = logging.getLogger(__name__)

NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INSUFFICIENT_PRIVILEGE = -32504
INTERNAL_ERROR = -32400
INVALID_PARAMS = -32602

_BIGINT_MAX = 2**63 - 1


class _Invalid(Exception):
    """Params of the wrong shape: -32600."""


def _error(request_id: Any, code: int, key: str, data: Any = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "error": {"code": code, "message": MESSAGES[key], "data": data},
    }


def _result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _authorized(request: HttpRequest, secret: str | None) -> bool:
    return basic_auth_matches(request, login="Paycom", password=secret)


# --- params ----------------------------------------------------------------------------------


def _integer(params: dict[str, Any], name: str, *, minimum: int = -_BIGINT_MAX) -> int:
    value = params.get(name)
    if type(value) is not int or not minimum <= value <= _BIGINT_MAX:
        raise _Invalid(name)
    return value


def _amount(params: dict[str, Any]) -> int:
    """An integer (never a float or a boolean); any integer outside an invoice's range is simply
    a wrong amount (-31001), as it matches no invoice."""
    value = params.get("amount")
    if type(value) is not int:
        raise _Invalid("amount")
    return value


def _transaction_id(params: dict[str, Any]) -> str:
    value = params.get("id")
    if not isinstance(value, str) or not TRANSACTION_ID.fullmatch(value):
        raise _Invalid("id")
    return value


def _account(params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("account")
    if not isinstance(value, dict):
        raise _Invalid("account")
    account: dict[str, Any] = json_storable(value)
    return account


# --- methods ---------------------------------------------------------------------------------


def _check_perform(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    invoice = service.payme_check_perform(
        integration=integration, amount=_amount(params), account=_account(params)
    )
    result: dict[str, Any] = {"allow": True}
    if invoice.items:
        result["detail"] = {"receipt_type": 0, "items": invoice.items}
    return result


def _create(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    payment = service.payme_transaction_create(
        integration=integration,
        payme_id=_transaction_id(params),
        time=_integer(params, "time", minimum=0),
        amount=_amount(params),
        account=_account(params),
    )
    return {
        "create_time": payment.create_time,
        "transaction": str(payment.id),
        "state": payment.state,
        "receivers": None,
    }


def _perform(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    payment = service.payme_transaction_perform(
        integration=integration, payme_id=_transaction_id(params)
    )
    return {
        "transaction": str(payment.id),
        "perform_time": payment.perform_time,
        "state": payment.state,
    }


def _cancel(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    payme_id = _transaction_id(params)
    reason = _integer(params, "reason")
    if reason not in CancelReason.values:
        raise _Invalid("reason")
    payment = service.payme_transaction_cancel(
        integration=integration, payme_id=payme_id, reason=reason
    )
    return {
        "transaction": str(payment.id),
        "cancel_time": payment.cancel_time,
        "state": payment.state,
    }


def _check(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    payment = service.payme_transaction_check(
        integration=integration, payme_id=_transaction_id(params)
    )
    return {
        "create_time": payment.create_time,
        "perform_time": payment.perform_time,
        "cancel_time": payment.cancel_time,
        "transaction": str(payment.id),
        "state": payment.state,
        "reason": payment.reason,
    }


def _statement_entry(payment: PaymentTransaction) -> dict[str, Any]:
    return {
        "id": payment.provider_transaction_id,
        "time": payment.time,
        "amount": payment.amount,
        "account": payment.account,
        "create_time": payment.create_time,
        "perform_time": payment.perform_time,
        "cancel_time": payment.cancel_time,
        "transaction": str(payment.id),
        "state": payment.state,
        "reason": payment.reason,
        "receivers": None,
    }


def _statement(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    payments = service.payme_statement(
        integration=integration,
        from_time=_integer(params, "from", minimum=0),
        to_time=_integer(params, "to", minimum=0),
    )
    return {"transactions": [_statement_entry(payment) for payment in payments]}


def _change_password(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    password = params.get("password")
    if not isinstance(password, str) or not password.strip() or len(password) > 1024:
        raise _Invalid("password")
    if "\x00" in password:
        raise _Invalid("password")
    service.payme_password_change(integration=integration, password=password)
    return {"success": True}


METHODS: dict[str, Callable[[Integration, dict[str, Any]], dict[str, Any]]] = {
    "CheckPerformTransaction": _check_perform,
    "CreateTransaction": _create,
    "PerformTransaction": _perform,
    "CancelTransaction": _cancel,
    "CheckTransaction": _check,
    "GetStatement": _statement,
    "ChangePassword": _change_password,
    "SetFiscalData": set_fiscal_data,
}


# --- the receive URL -------------------------------------------------------------------------


def _answer(
    request: HttpRequest, integration: Integration, seen: dict[str, Any]
) -> tuple[dict[str, Any], Any, str]:
    """(answer, logged body, action name); ``seen`` keeps what was read so far, for the answer
    and the log of a call that fails unexpectedly."""
    if request.method != "POST":
        return _error(None, NOT_POST, "not_post"), {}, "payme"
    body = read_limited_body(request)
    if body is None:
        return _error(None, INVALID_REQUEST, "invalid_request", "body too large"), {}, "payme"
    try:
        rpc = parse_json(body)
    except (ValueError, RecursionError):
        logged = {"raw": body[:4096].decode("utf-8", errors="replace")}
        return _error(None, PARSE_ERROR, "parse_error"), logged, "payme"
    rpc = json_storable(rpc)
    seen["body"] = rpc
    if not isinstance(rpc, dict):
        return _error(None, INVALID_REQUEST, "invalid_request"), rpc, "payme"
    request_id = rpc.get("id")
    if isinstance(request_id, (dict, list)):
        request_id = None
    seen["id"] = request_id
    method = rpc.get("method")
    if not isinstance(method, str):
        return _error(request_id, INVALID_REQUEST, "invalid_request", "method"), rpc, "payme"
    action = seen["action"] = f"payme.{method}"
    if not _authorized(request, integration.api_secret):
        return _error(request_id, INSUFFICIENT_PRIVILEGE, "insufficient_privilege"), rpc, action
    if integration.status == IntegrationStatus.INACTIVE:
        return _error(request_id, INTERNAL_ERROR, "inactive"), rpc, action
    handler = METHODS.get(method)
    if handler is None:
        return _error(request_id, METHOD_NOT_FOUND, "method_not_found", method), rpc, action
    params = rpc.get("params")
    if not isinstance(params, dict):
        if handler is set_fiscal_data:
            return _error(request_id, INVALID_PARAMS, "invalid_params", "params"), rpc, action
        return _error(request_id, INVALID_REQUEST, "invalid_request", "params"), rpc, action
    try:
        return _result(request_id, handler(integration, params)), rpc, action
    except _Invalid as invalid:
        return _error(request_id, INVALID_REQUEST, "invalid_request", str(invalid)), rpc, action
    except FiscalParamsInvalid as invalid:
        return _error(request_id, INVALID_PARAMS, "invalid_params", str(invalid)), rpc, action
    except PaymeError as error:
        return _error(request_id, error.code, error.key, error.data), rpc, action


def receive(request: HttpRequest, integration: Integration) -> HttpResponse:
    """Answer one Payme call (HTTP 200 always) and log it."""
    started = time.monotonic()
    seen: dict[str, Any] = {"id": None, "body": {}, "action": "payme"}
    secrets: list[str] = []
    try:
        secrets = integration_secret_values(integration)
        answer, body, action = _answer(request, integration, seen)
    except Exception as failure:
        # Never a 500 to the gateway: the change (if any) was rolled back with its transaction.
        if isinstance(failure, DecryptionError):
            logger.error("payme: the api_secret of %s cannot be decrypted", integration.code)
        else:
            logger.exception("payme: call to %s failed", integration.code)
        answer = _error(seen["id"], INTERNAL_ERROR, "internal_error")
        body, action = seen["body"], seen["action"]
    error = answer.get("error")
    gateway_log(
        integration=integration,
        request=request,
        action=action,
        body=body,
        answer=answer,
        started=started,
        error_message=f"{error['code']}: {error['message']['en']}" if error else None,
        secrets=secrets or None,
    )
    return JsonResponse(answer, status=200)
