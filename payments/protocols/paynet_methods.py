"""Paynet's six methods (gateways.md 2.2): each reads its parameters (411 when one is missing),
then checks ``serviceId`` (305) and that the integration is active (100), then calls
``payments.services.paynet`` and shapes the ``result``. ``payments.protocols.paynet`` reads the
JSON-RPC envelope and routes the call here through ``METHODS``; a ``Refused`` carries the
protocol error it answers. Times are written and read ``YYYY-MM-DD HH:MM:SS`` in GMT+5.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationStatus
from payments.models import PaymentInvoice, PaymentTransaction
from payments.protocols.common import som_display
from payments.services import paynet as service
from payments.services.events import now_ms

SERVICE_UNSUPPORTED = 100
SERVICE_NOT_FOUND = 305
PARAMETER_MISSING = 411
WRONG_DATE = 414

# Paynet's clock: Tashkent, GMT+5 all year (no daylight saving).
GMT5 = timezone(timedelta(hours=5))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"\d{1,19}")
_MAX_PASSWORD = 1024


class Refused(Exception):
    """A protocol error found while reading the request: its code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


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
        raise Refused(PARAMETER_MISSING)
    return value


def _fields(params: dict[str, Any], account_field: str) -> tuple[dict[str, Any], Any]:
    """``fields`` with its keys trimmed, and the account value in it (411 when either is
    missing: an account value of null or blanks is missing too)."""
    fields = params.get("fields")
    if not isinstance(fields, dict):
        raise Refused(PARAMETER_MISSING)
    trimmed = {str(key).strip(): value for key, value in json_storable(fields).items()}
    account = trimmed.get(account_field)
    if account is None or (isinstance(account, str) and not account.strip()):
        raise Refused(PARAMETER_MISSING)
    return trimmed, account.strip() if isinstance(account, str) else account


def _service_id(integration: Integration, params: dict[str, Any], *, required: bool) -> None:
    """411 without a usable ``serviceId`` (when required), 305 for another one than ours."""
    raw = params.get("serviceId")
    if raw is None and not required:
        return
    value = _whole(raw)
    if value is None:
        raise Refused(PARAMETER_MISSING)
    if str(value) != (integration.typed_config.service_id or ""):
        raise Refused(SERVICE_NOT_FOUND)


def _active(integration: Integration) -> None:
    if integration.status == IntegrationStatus.INACTIVE:
        raise Refused(SERVICE_UNSUPPORTED)


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
        raise Refused(PARAMETER_MISSING)
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
        raise Refused(PARAMETER_MISSING)
    _service_id(integration, params, required=True)
    _active(integration)
    date_from, date_to = read_time(raw_from), read_time(raw_to)
    if date_from is None or date_to is None:
        raise Refused(WRONG_DATE)
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
        raise Refused(PARAMETER_MISSING)
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
