"""Click's Shop API: form-encoded Prepare (``action=0``) and Complete (``action=1``) POSTs on the
integration's receive URL, answered with JSON, HTTP 200 always.

Checks in the reference integration's order: -8 (a field missing or not an integer where Click
sends one), -1 (``sign_string`` wrong, ``service_id`` not ``config.service_id`` compared as a
string, no secret set), -3 (an action other than 0 and 1), -5 (no invoice ``merchant_trans_id``),
-6 on Complete (no such ``merchant_prepare_id``), -4, -2, -9 (``payments.services.click``).
An ``amount`` that is not plain soums with at most two decimals (``1e3``, ``15,00``, ``-5``) is
-2, "Incorrect parameter amount", in the -2 place of that order: the sign covers the text as
sent, so the request is Click's, only its amount is wrong. An inactive integration answers -9 once
the request is known to be Click's, so Click cancels the payment rather than charge for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse, JsonResponse

from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationStatus
from integrations.services import integration_secret_values
from payments.models import MAX_AMOUNT
from payments.protocols.common import gateway_log, read_limited_body
from payments.services import click as service
from payments.services.click import ClickError
from payments.services.invoices import order_id_or_none

logger = logging.getLogger(__name__)

SUCCESS = 0
SIGN_FAILED = -1
ACTION_NOT_FOUND = -3
UPDATE_FAILED = -7

NOTES = {
    SUCCESS: "Success",
    SIGN_FAILED: "SIGN CHECK FAILED!",
    service.WRONG_AMOUNT: "Incorrect parameter amount",
    ACTION_NOT_FOUND: "Action not found",
    service.ALREADY_PAID: "Already paid",
    service.USER_NOT_FOUND: "User does not exist",
    service.TRANSACTION_NOT_FOUND: "Transaction does not exist",
    UPDATE_FAILED: "Failed to update user",
    service.REQUEST_ERROR: "Error in request from click",
    service.CANCELLED: "Transaction cancelled",
}

PREPARE = "0"
COMPLETE = "1"
_REQUIRED = (
    "click_trans_id",
    "service_id",
    "click_paydoc_id",
    "merchant_trans_id",
    "amount",
    "action",
    "error",
    "sign_time",
    "sign_string",
)
_UNSIGNED = re.compile(r"\d{1,18}")
_SIGNED = re.compile(r"-?\d{1,18}")
_AMOUNT = re.compile(r"(\d{1,16})(?:\.(\d{1,2}))?")


class _Refused(Exception):
    def __init__(self, code: int, note: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.note = note or NOTES[code]


def amount_to_tiyin(text: str) -> int | None:
    """Plain soums with up to two decimals (``1500``, ``1500.5``, ``1500.00``) in tiyin; None
    for anything else. Decimal, never a float."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    tiyin = int(Decimal(text) * 100)
    return tiyin if 0 < tiyin <= MAX_AMOUNT else None


def _fields(request: HttpRequest) -> dict[str, str]:
    """The form's fields, URL-encoded as Click sends them (or multipart, as some proxies and
    test tools do); a field sent twice is ambiguous, so refused."""
    if request.content_type == "multipart/form-data":
        pairs = [(key, value) for key in request.POST for value in request.POST.getlist(key)]
    else:
        body = read_limited_body(request)
        if body is None:
            raise _Refused(service.REQUEST_ERROR, "The body is too large")
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise _Refused(service.REQUEST_ERROR, "A field is sent twice")
        fields[key] = value
    return fields


def _sign(fields: dict[str, str], secret: str, *, complete: bool) -> str:
    parts = [fields["click_trans_id"], fields["service_id"], secret, fields["merchant_trans_id"]]
    if complete:
        parts.append(fields["merchant_prepare_id"])
    parts += [fields["amount"], fields["action"], fields["sign_time"]]
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def _check_request(fields: dict[str, str], integration: Integration) -> None:
    """-8, -1, -3, and the integration switched off."""
    complete = fields.get("action") == COMPLETE
    required = (*_REQUIRED, "merchant_prepare_id") if complete else _REQUIRED
    if any(fields.get(name) is None for name in required):
        raise _Refused(service.REQUEST_ERROR)
    integers = ["click_trans_id", "service_id", "click_paydoc_id"]
    if complete:
        integers.append("merchant_prepare_id")
    if not all(_UNSIGNED.fullmatch(fields[name]) for name in integers):
        raise _Refused(service.REQUEST_ERROR)
    if not _SIGNED.fullmatch(fields["error"]) or "\x00" in "".join(fields.values()):
        raise _Refused(service.REQUEST_ERROR)
    secret = integration.api_secret
    config = integration.typed_config
    if (
        not secret
        or not config.service_id
        or fields["service_id"] != config.service_id
        or not hmac.compare_digest(
            _sign(fields, secret, complete=complete).encode(),
            fields["sign_string"].strip().lower().encode("utf-8", errors="replace"),
        )
    ):
        raise _Refused(SIGN_FAILED)
    if fields["action"] not in (PREPARE, COMPLETE):
        raise _Refused(ACTION_NOT_FOUND)
    if integration.status == IntegrationStatus.INACTIVE:
        raise _Refused(service.CANCELLED, "Payments are switched off for this merchant")


def _answer(fields: dict[str, str], code: int, note: str, merchant_id: int = 0) -> dict[str, Any]:
    click_trans_id = fields.get("click_trans_id") or ""
    answer: dict[str, Any] = {
        "click_trans_id": int(click_trans_id) if _UNSIGNED.fullmatch(click_trans_id) else None,
        "merchant_trans_id": fields.get("merchant_trans_id"),
    }
    id_name = "merchant_confirm_id" if fields.get("action") == COMPLETE else "merchant_prepare_id"
    answer[id_name] = merchant_id
    answer["error"] = code
    answer["error_note"] = note
    return answer


def _dispatch(fields: dict[str, str], integration: Integration) -> dict[str, Any]:
    _check_request(fields, integration)
    order_id = order_id_or_none(fields["merchant_trans_id"])
    if order_id is None:
        raise _Refused(service.USER_NOT_FOUND)
    click_trans_id = str(int(fields["click_trans_id"]))
    amount = amount_to_tiyin(fields["amount"])
    if fields["action"] == PREPARE:
        payment = service.click_prepare(
            integration=integration,
            click_trans_id=click_trans_id,
            click_paydoc_id=int(fields["click_paydoc_id"]),
            order_id=order_id,
            amount=amount,
        )
        return _answer(fields, SUCCESS, NOTES[SUCCESS], payment.merchant_prepare_id or 0)
    payment = service.click_complete(
        integration=integration,
        click_trans_id=click_trans_id,
        order_id=order_id,
        merchant_prepare_id=int(fields["merchant_prepare_id"]),
        amount=amount,
        click_error=int(fields["error"]),
        click_error_note=fields.get("error_note") or "",
        click_paydoc_id=int(fields["click_paydoc_id"]),
    )
    return _answer(fields, SUCCESS, NOTES[SUCCESS], payment.merchant_confirm_id or 0)


def receive(request: HttpRequest, integration: Integration) -> HttpResponse:
    """Answer one Click call (HTTP 200 always) and log it."""
    started = time.monotonic()
    fields: dict[str, str] = {}
    action = "click"
    try:
        if request.method != "POST":
            raise _Refused(service.REQUEST_ERROR, "The request method must be POST")
        fields = _fields(request)
        action = {PREPARE: "click.prepare", COMPLETE: "click.complete"}.get(
            fields.get("action", ""), "click"
        )
        answer = _dispatch(fields, integration)
    except _Refused as refused:
        answer = _answer(fields, refused.code, refused.note)
    except ClickError as error:
        answer = _answer(fields, error.code, error.note)
    except Exception:
        # Never a 500 to the gateway: the change (if any) was rolled back with its transaction.
        logger.exception("click: call to %s failed", integration.code)
        answer = _answer(fields, UPDATE_FAILED, NOTES[UPDATE_FAILED])
    gateway_log(
        integration=integration,
        request=request,
        action=action,
        body=json_storable(fields),
        answer=answer,
        started=started,
        error_message=f"{answer['error']}: {answer['error_note']}" if answer["error"] else None,
        secrets=integration_secret_values(integration),
    )
    return JsonResponse(answer, status=200)
