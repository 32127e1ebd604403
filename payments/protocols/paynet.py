"""Paynet's provider web service: JSON-RPC 2.0 over POST on the integration's receive URL
(gateways.md section 2).

HTTP 200 with a ``result`` or an ``error {code, message}`` for everything but missing or wrong
credentials, which are HTTP 401 with ``WWW-Authenticate: Basic realm="paynet"`` and error 412.
The checks run in the order Paynet's acceptance test expects:

    -32300 not POST → 401/412 credentials → -32700 not JSON → -32600 not an RPC request →
    -32601 unknown method (after trimming) → -32602 params not an object → 411 a required
    parameter missing → 305 serviceId not ours → 100 integration inactive → the method's own
    (``payments.services.paynet``: 302, 201, 413, 203, 202, 77; 414 for GetStatement's dates)

and anything unexpected (the database gone) is -32603, never a 5xx. Times are written
``YYYY-MM-DD HH:MM:SS`` in GMT+5; the timestamps Paynet sends to CheckTransaction and
CancelTransaction come in several shapes and are ignored. Every call writes an inbound
integration log, with the Authorization header and ``newPassword`` hidden.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.crypto import DecryptionError
from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationStatus
from integrations.redaction import REDACTED
from integrations.services import integration_secret_values
from payments.models import PaymentInvoice, PaymentTransaction
from payments.protocols.common import (
    basic_auth_matches,
    gateway_log,
    parse_json,
    read_limited_body,
    som_display,
)
from payments.services import paynet as service
from payments.services.events import now_ms
from payments.services.paynet import PaynetError

logger = logging.getLogger(__name__)

NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
PARAMS_MISSING = -32602
SYSTEM_ERROR = -32603
UNAUTHORIZED = 412
SERVICE_UNSUPPORTED = 100
SERVICE_NOT_FOUND = 305
PARAMETER_MISSING = 411
WRONG_DATE = 414

MESSAGES: dict[int, str] = {
    NOT_POST: "Метод запроса не POST",
    PARSE_ERROR: "Ошибка разбора JSON",
    INVALID_REQUEST: "Отсутствуют обязательные поля в RPC-запросе или тип полей не соответствует "
    "спецификации",
    METHOD_NOT_FOUND: "Запрашиваемый метод не найден",
    PARAMS_MISSING: "Отсутствуют обязательные поля параметров",
    SYSTEM_ERROR: "Системная ошибка",
    service.CANNOT_CANCEL: "Недостаточно средств на счету клиента для отмены платежа",
    SERVICE_UNSUPPORTED: "Услуга временно не поддерживается",
    service.ALREADY_EXISTS: "Транзакция уже существует",
    service.ALREADY_CANCELLED: "Транзакция уже отменена",
    service.NOT_FOUND: "Транзакция не найдена",
    service.CLIENT_NOT_FOUND: "Клиент не найден",
    SERVICE_NOT_FOUND: "Услуга не найдена",
    PARAMETER_MISSING: "Не задан один или несколько обязательных параметров",
    service.WRONG_AMOUNT: "Неверная сумма",
    WRONG_DATE: "Неверный формат даты и времени",
    UNAUTHORIZED: "Неверный логин или пароль",
}

# Paynet's clock: Tashkent, GMT+5 all year (no daylight saving).
GMT5 = timezone(timedelta(hours=5))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"\d{1,19}")
_MAX_PASSWORD = 1024


class _Refused(Exception):
    """A protocol error found while reading the request: its code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _error(request_id: Any, code: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": MESSAGES[code]}}


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def written_time(milliseconds: int) -> str:
    """A time as Paynet reads it: ``YYYY-MM-DD HH:MM:SS``, GMT+5."""
    return datetime.fromtimestamp(milliseconds // 1000, GMT5).strftime(TIME_FORMAT)


def _now_written() -> str:
    return written_time(now_ms())


def read_time(value: Any) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` in GMT+5 as an aware datetime; None when it is not that."""
    if not isinstance(value, str) or not _TIME.fullmatch(value.strip()):
        return None
    try:
        return datetime.strptime(value.strip(), TIME_FORMAT).replace(tzinfo=GMT5)
    except ValueError:
        return None


def _authorized(request: HttpRequest, integration: Integration) -> bool:
    """HTTP Basic ``api_key:api_secret``, compared in constant time."""
    return basic_auth_matches(request, login=integration.api_key, password=integration.api_secret)


# --- params ----------------------------------------------------------------------------------


def _whole(value: Any) -> int | None:
    """A non-negative int64 sent as a number or as digits; None otherwise."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if type(value) is not int or not 0 <= value <= _INT64_MAX:
        return None
    return value


def _required_whole(params: dict[str, Any], name: str) -> int:
    value = _whole(params.get(name))
    if value is None:
        raise _Refused(PARAMETER_MISSING)
    return value


def _fields(params: dict[str, Any], account_field: str) -> tuple[dict[str, Any], Any]:
    """``fields`` with its keys trimmed, and the account value in it (411 when either is
    missing: an account value of null or blanks is missing too)."""
    fields = params.get("fields")
    if not isinstance(fields, dict):
        raise _Refused(PARAMETER_MISSING)
    trimmed = {str(key).strip(): value for key, value in json_storable(fields).items()}
    account = trimmed.get(account_field)
    if account is None or (isinstance(account, str) and not account.strip()):
        raise _Refused(PARAMETER_MISSING)
    return trimmed, account.strip() if isinstance(account, str) else account


def _service_id(integration: Integration, params: dict[str, Any], *, required: bool) -> None:
    """411 without a usable ``serviceId`` (when required), 305 for another one than ours."""
    raw = params.get("serviceId")
    if raw is None and not required:
        return
    value = _whole(raw)
    if value is None:
        raise _Refused(PARAMETER_MISSING)
    if str(value) != (integration.typed_config.service_id or ""):
        raise _Refused(SERVICE_NOT_FOUND)


def _active(integration: Integration) -> None:
    if integration.status == IntegrationStatus.INACTIVE:
        raise _Refused(SERVICE_UNSUPPORTED)


# --- methods: each reads its parameters (411), then 305 and 100, then calls the service ------


def _get_information(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    account_field = integration.typed_config.account_field
    _, account = _fields(params, account_field)
    _service_id(integration, params, required=True)
    _active(integration)
    invoice: PaymentInvoice = service.paynet_information(order_id=account)
    return {
        "status": "0",
        "timestamp": _now_written(),
        "fields": {
            account_field: invoice.order_id,
            "amount": som_display(invoice.amount),
            "name": invoice.description,
        },
    }


def _perform(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    transaction_id = _required_whole(params, "transactionId")
    if params.get("amount") is None:
        raise _Refused(PARAMETER_MISSING)
    fields, account = _fields(params, integration.typed_config.account_field)
    _service_id(integration, params, required=True)
    _active(integration)
    # transactionTime (or time) is informational: never read.
    payment = service.paynet_perform(
        integration=integration,
        transaction_id=transaction_id,
        amount=params["amount"],
        order_id=account,
        fields=fields,
    )
    return {
        "providerTrnId": payment.provider_trn_id,
        "timestamp": written_time(payment.perform_time),
        "fields": fields,
    }


def _check(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    transaction_id = _required_whole(params, "transactionId")
    _service_id(integration, params, required=True)
    _active(integration)
    # ``timestamp`` comes as "Thu Jan 15 14:05:00 UZT 2026" and other shapes: ignored.
    check = service.paynet_check(integration=integration, transaction_id=transaction_id)
    return {
        "providerTrnId": check.provider_trn_id,
        "timestamp": _now_written() if check.time_ms is None else written_time(check.time_ms),
        "transactionState": check.state,
    }


def _cancel(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    transaction_id = _required_whole(params, "transactionId")
    _service_id(integration, params, required=True)
    _active(integration)
    # ``timestamp`` (often DD.MM.YYYY HH:MM:SS) is informational: the cancel time is ours.
    payment = service.paynet_cancel(integration=integration, transaction_id=transaction_id)
    return {
        "providerTrnId": payment.provider_trn_id,
        "timestamp": written_time(payment.cancel_time),
        "transactionState": service.PAYNET_CANCELLED,
    }


def _statement_entry(payment: PaymentTransaction) -> dict[str, Any]:
    return {
        "amount": payment.amount,
        "providerTrnId": payment.provider_trn_id,
        "transactionId": int(payment.provider_transaction_id),
        "timestamp": written_time(payment.perform_time),
    }


def _statement(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    raw_from, raw_to = params.get("dateFrom"), params.get("dateTo")
    if raw_from is None or raw_to is None:
        raise _Refused(PARAMETER_MISSING)
    _service_id(integration, params, required=True)
    _active(integration)
    date_from, date_to = read_time(raw_from), read_time(raw_to)
    if date_from is None or date_to is None:
        raise _Refused(WRONG_DATE)
    payments = service.paynet_statement(
        integration=integration, date_from=date_from, date_to=date_to
    )
    return {"statements": [_statement_entry(payment) for payment in payments]}


def _change_password(integration: Integration, params: dict[str, Any]) -> str:
    password = params.get("newPassword")
    if (
        not isinstance(password, str)
        or not password.strip()
        or len(password) > _MAX_PASSWORD
        or "\x00" in password
    ):
        raise _Refused(PARAMETER_MISSING)
    _service_id(integration, params, required=False)
    _active(integration)
    service.paynet_password_change(integration=integration, password=password)
    return "success"


METHODS: dict[str, Callable[[Integration, dict[str, Any]], Any]] = {
    "GetInformation": _get_information,
    "PerformTransaction": _perform,
    "CheckTransaction": _check,
    "CancelTransaction": _cancel,
    "GetStatement": _statement,
    "ChangePassword": _change_password,
}


# --- the receive URL -------------------------------------------------------------------------


def _raw_for_log(body: bytes) -> dict[str, Any]:
    """An unreadable body for the log; hidden whole when it may carry a new password, which
    the log's key-based redaction cannot find in text that is not JSON."""
    if b"newpassword" in body.lower():
        return {"raw": REDACTED}
    return {"raw": body[:4096].decode("utf-8", errors="replace")}


def _readable_id(value: Any) -> Any:
    """The ``id`` to echo: a string or any JSON number (a float too; never a bool)."""
    return value if isinstance(value, str) or type(value) in (int, float) else None


@dataclass
class _Call:
    """What is known of one call so far: for its answer and its log, also when it fails."""

    request_id: Any = None
    body: Any = None
    action: str = "paynet"
    status_code: int = 200


def _answer(request: HttpRequest, integration: Integration, call: _Call) -> Any:
    if request.method != "POST":
        return _error(None, NOT_POST)
    body = read_limited_body(request)
    if body is None:
        call.body = {"raw": "(over the size limit, not read)"}
    if not _authorized(request, integration):
        if body is not None:
            try:
                call.body = json_storable(parse_json(body))
            except (ValueError, RecursionError):
                call.body = _raw_for_log(body)
        call.status_code = 401
        return _error(None, UNAUTHORIZED)
    if body is None:
        return _error(None, PARSE_ERROR)
    try:
        rpc = json_storable(parse_json(body))
    except (ValueError, RecursionError):
        call.body = _raw_for_log(body)
        return _error(None, PARSE_ERROR)
    call.body = rpc
    if not isinstance(rpc, dict):
        return _error(None, INVALID_REQUEST)
    call.request_id = _readable_id(rpc.get("id"))
    method = rpc.get("method")
    if (
        rpc.get("jsonrpc") != "2.0"
        or call.request_id is None
        or not isinstance(method, str)
        or "params" not in rpc
    ):
        return _error(call.request_id, INVALID_REQUEST)
    method = method.strip()
    call.action = f"paynet.{method}"
    handler = METHODS.get(method)
    if handler is None:
        return _error(call.request_id, METHOD_NOT_FOUND)
    params = rpc["params"]
    if not isinstance(params, dict):
        return _error(call.request_id, PARAMS_MISSING)
    try:
        return _result(call.request_id, handler(integration, params))
    except _Refused as refused:
        return _error(call.request_id, refused.code)
    except PaynetError as error:
        return _error(call.request_id, error.code)


def receive(request: HttpRequest, integration: Integration) -> HttpResponse:
    """Answer one Paynet call and log it: HTTP 401 for bad credentials, 200 otherwise."""
    started = time.monotonic()
    call = _Call()
    try:
        answer = _answer(request, integration, call)
    except Exception as failure:
        # Never a 5xx to Paynet: whatever changed was rolled back with its transaction, and
        # Paynet asks again (CheckTransaction) or repeats the call.
        if isinstance(failure, DecryptionError):
            logger.error("paynet: a credential of %s cannot be decrypted", integration.code)
        else:
            logger.exception("paynet: call to %s failed", integration.code)
        call.status_code = 200
        answer = _error(call.request_id, SYSTEM_ERROR)
    error = answer.get("error")
    try:
        gateway_log(
            integration=integration,
            request=request,
            action=call.action,
            body=call.body if call.body is not None else {},
            answer=answer,
            started=started,
            error_message=f"{error['code']}: {error['message']}" if error else None,
            # Every stored credential, the login (api_key) too, as CONTRACT asks of every log.
            secrets=integration_secret_values(integration),
            status_code=call.status_code,
        )
    except Exception:
        # The log is the record, but the answer matters more: with the database gone Paynet
        # still gets -32603 and asks again.
        logger.exception("paynet: the log of a call to %s was not written", integration.code)
    headers = {"WWW-Authenticate": 'Basic realm="paynet"'} if call.status_code == 401 else None
    return _json(answer, status=call.status_code, headers=headers)


def _reads_as_paynet(rpc: Any) -> bool:
    """A JSON-RPC 2.0 call of one of Paynet's methods carrying what only Paynet sends
    (``serviceId``; ``newPassword`` for ChangePassword). Payme's calls share some method names
    but never these parameters; an ordinary webhook carries none of it."""
    if not isinstance(rpc, dict) or rpc.get("jsonrpc") != "2.0":
        return False
    method, params = rpc.get("method"), rpc.get("params")
    if not isinstance(method, str) or method.strip() not in METHODS or not isinstance(params, dict):
        return False
    return "serviceId" in params or (method.strip() == "ChangePassword" and "newPassword" in params)


def receive_unreadable(request: HttpRequest, *, known: bool) -> HttpResponse | None:
    """The answer when the integration itself cannot be read (the database down before the
    view could load it): -32603 with HTTP 200, as for any other outage, so Paynet asks again
    rather than seeing a 5xx; -32300 for a method that is not POST. ``known``: this process
    last read the code as a Paynet integration; otherwise only a call that reads as Paynet's
    is answered (None: not ours, the caller answers as for any webhook). Nothing is checked,
    changed or logged, since nothing can be; the credentials are not even read."""
    if request.method != "POST":
        return _json(_error(None, NOT_POST)) if known else None
    body = read_limited_body(request)
    try:
        rpc = json_storable(parse_json(body)) if body is not None else None
    except (ValueError, RecursionError):
        rpc = None
    if not known and not _reads_as_paynet(rpc):
        return None
    logger.error("paynet: a call to %s answered -32603: the database is unavailable", request.path)
    request_id = _readable_id(rpc.get("id")) if isinstance(rpc, dict) else None
    return _json(_error(request_id, SYSTEM_ERROR))


def _json(answer: dict[str, Any], *, status: int = 200, headers: Any = None) -> JsonResponse:
    return JsonResponse(
        answer, status=status, headers=headers, json_dumps_params={"ensure_ascii": False}
    )
