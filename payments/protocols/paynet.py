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
integration log, with the Authorization header and ``newPassword`` hidden. This module reads the
envelope and answers; the methods are in ``payments.protocols.paynet_methods``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.crypto import DecryptionError
from integrations.jsontext import json_storable
from integrations.models import Integration
from integrations.redaction import REDACTED
from integrations.services import integration_secret_values
from payments.protocols.common import (
    basic_auth_matches,
    gateway_log,
    parse_json,
    read_limited_body,
)
from payments.protocols.paynet_methods import (
    METHODS,
    PARAMETER_MISSING,
    SERVICE_NOT_FOUND,
    SERVICE_UNSUPPORTED,
    WRONG_DATE,
    Refused,
)
from payments.services import paynet as service
from payments.services.paynet import PaynetError

logger = logging.getLogger(__name__)

NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
PARAMS_MISSING = -32602
SYSTEM_ERROR = -32603
UNAUTHORIZED = 412

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


def _error(request_id: Any, code: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": MESSAGES[code]}}


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _authorized(request: HttpRequest, integration: Integration) -> bool:
    """HTTP Basic ``api_key:api_secret``, compared in constant time."""
    return basic_auth_matches(request, login=integration.api_key, password=integration.api_secret)


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
    except Refused as refused:
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
