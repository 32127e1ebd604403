"""Click's conformance scenario: every rule of the Shop API's table (``protocols.md``).

-8 (a field missing), -1 (wrong sign, another ``service_id``), -3 (unknown action), -5 (unknown
``merchant_trans_id``), -6 (unknown ``merchant_prepare_id``), -4 (already paid), -2 (wrong
amount), -9 (Click reports an error on Complete; a cancelled invoice), then Prepare and
Complete and their replays (the same answer as the first time). Form-encoded POSTs, HTTP 200
and JSON always, ``error`` and the merchant ids integers.

Click's Shop API has no refund: the invoice the run pays stays ``paid`` (its order id says it
was a check); the others are cancelled at the end.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from payments.conformance.base import Answer, Run, Step
from payments.services import invoice_cancel

AMOUNT = 150_000  # tiyin: "1500.00" so'm on the wire
SUCCESS = 0
SIGN_FAILED = -1
WRONG_AMOUNT = -2
ACTION_NOT_FOUND = -3
ALREADY_PAID = -4
USER_NOT_FOUND = -5
TRANSACTION_NOT_FOUND = -6
REQUEST_ERROR = -8
CANCELLED = -9


def _click_trans_id() -> str:
    """A fresh Click transaction id: 18 digits, far above Click's real ones."""
    return str(900_000_000_000_000_000 + secrets.randbelow(99_999_999_999_999_999))


def _soums(tiyin: int) -> str:
    return f"{tiyin // 100}.{tiyin % 100:02d}"


def _sign(fields: dict[str, str], secret: str) -> str:
    parts = [fields["click_trans_id"], fields["service_id"], secret, fields["merchant_trans_id"]]
    if fields["action"] == "1":
        parts.append(fields["merchant_prepare_id"])
    parts += [fields["amount"], fields["action"], fields["sign_time"]]
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def _fields(
    run: Run,
    *,
    action: int,
    click_trans_id: str,
    order_id: str,
    amount: int = AMOUNT,
    merchant_prepare_id: int | None = None,
    error: int = 0,
    service_id: str | None = None,
    secret: str | None = None,
) -> dict[str, str]:
    """A Prepare (0) or Complete (1) as Click signs it."""
    fields = {
        "click_trans_id": click_trans_id,
        "service_id": service_id if service_id is not None else str(run.config.service_id or ""),
        "click_paydoc_id": str(int(click_trans_id) % 1_000_000_000 + 1),
        "merchant_trans_id": order_id,
        "amount": _soums(amount),
        "action": str(action),
        "error": str(error),
        "error_note": "Success" if error == 0 else "Card declined",
        "sign_time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
    }
    if merchant_prepare_id is not None:
        fields["merchant_prepare_id"] = str(merchant_prepare_id)
    fields["sign_string"] = _sign(fields, secret if secret is not None else run.api_secret)
    return fields


def _post(run: Run, fields: dict[str, str]) -> Answer:
    answer = run.call(data=urlencode(fields), content_type="application/x-www-form-urlencoded")
    body = answer.json
    if answer.status != 200 or not isinstance(body, dict) or type(body.get("error")) is not int:
        raise run.fail("HTTP 200 with a JSON object whose error is an integer", answer)
    return answer


def _expect(run: Run, answer: Answer, code: int) -> dict[str, Any]:
    body: dict[str, Any] = answer.json
    if body["error"] != code:
        raise run.fail(f"error {code}", answer)
    return body


def _rule(code: int, build: Any) -> Any:
    """A call built by ``build(run)`` that Click's table answers with ``code``."""

    def step(run: Run) -> None:
        _expect(run, _post(run, build(run)), code)

    return step


def _prepare(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        order_id = run.values[invoice_key].order_id
        fields = _fields(run, action=0, click_trans_id=run.values[key], order_id=order_id)
        answer = _post(run, fields)
        body = _expect(run, answer, SUCCESS)
        prepare_id = body.get("merchant_prepare_id")
        if type(prepare_id) is not int or prepare_id <= 0:
            raise run.fail("a positive integer merchant_prepare_id", answer)
        if str(body.get("click_trans_id")) != run.values[key] or (
            body.get("merchant_trans_id") != order_id
        ):
            raise run.fail("click_trans_id and merchant_trans_id echoed", answer)
        run.values[f"{key}.prepare"] = body
        run.values[f"{key}.prepare_id"] = prepare_id

    return step


def _complete_fields(run: Run, key: str, invoice_key: str, **changes: Any) -> dict[str, str]:
    return _fields(
        run,
        action=1,
        click_trans_id=run.values[key],
        order_id=run.values[invoice_key].order_id,
        merchant_prepare_id=changes.pop("merchant_prepare_id", None)
        or run.need(f"{key}.prepare_id"),
        **changes,
    )


def _complete(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        answer = _post(run, _complete_fields(run, key, invoice_key))
        body = _expect(run, answer, SUCCESS)
        if type(body.get("merchant_confirm_id")) is not int:
            raise run.fail("an integer merchant_confirm_id", answer)
        run.values[f"{key}.complete"] = body
        run.expect_invoice(run.values[invoice_key], "paid")

    return step


def _replay(key: str, invoice_key: str, first: str) -> Any:
    """The same Prepare or Complete again: the same answer as the first time."""

    def step(run: Run) -> None:
        earlier = run.need(f"{key}.{first}")
        if first == "prepare":
            fields = _fields(
                run,
                action=0,
                click_trans_id=run.values[key],
                order_id=run.values[invoice_key].order_id,
            )
        else:
            fields = _complete_fields(run, key, invoice_key)
        answer = _post(run, fields)
        if answer.json != earlier:
            raise run.fail(f"the first answer again, {earlier}", answer)

    return step


def _click_error(key: str, invoice_key: str, code: int, status: str) -> Any:
    """Complete carrying Click's own error (the payer's card was declined)."""

    def step(run: Run) -> None:
        fields = _complete_fields(run, key, invoice_key, error=-5017)
        _expect(run, _post(run, fields), code)
        run.expect_invoice(run.values[invoice_key], status)

    return step


def scenario(run: Run) -> list[Step]:
    """The steps, with their three invoices: one paid, one whose payment Click cancels, one the
    hub cancelled before Click asks."""
    paid = run.invoice(AMOUNT, label="paid")
    declined = run.invoice(AMOUNT, label="declined")
    voided = run.invoice(AMOUNT, label="cancelled")
    invoice_cancel(invoice=voided)
    run.values.update(paid=paid, declined=declined, voided=voided)
    run.values.update(first=_click_trans_id(), second=_click_trans_id())
    order = paid.order_id

    def new_prepare(**changes: Any) -> Callable[[Run], dict[str, str]]:
        def build(run: Run) -> dict[str, str]:
            fields: dict[str, Any] = {
                "action": 0,
                "click_trans_id": _click_trans_id(),
                "order_id": order,
            }
            fields.update(changes)
            return _fields(run, **fields)

        return build

    def without_sign(run: Run) -> dict[str, str]:
        fields = new_prepare()(run)
        del fields["sign_string"]
        return fields

    def wrong_sign(run: Run) -> dict[str, str]:
        fields = new_prepare()(run)
        fields["sign_string"] = "0" * 32
        return fields

    def other_service(run: Run) -> dict[str, str]:
        return new_prepare(service_id=f"{run.config.service_id or 0}9")(run)

    def complete_unknown(run: Run) -> dict[str, str]:
        return _fields(
            run,
            action=1,
            click_trans_id=run.values["first"],
            order_id=order,
            merchant_prepare_id=run.need("first.prepare_id") + 1_000_000_000,
        )

    def complete_bad_sign(run: Run) -> dict[str, str]:
        fields = _complete_fields(run, "first", "paid")
        fields["sign_string"] = "f" * 32
        return fields

    return [
        Step("-8 Prepare without sign_string", _rule(REQUEST_ERROR, without_sign)),
        Step("-1 Prepare with a wrong sign_string", _rule(SIGN_FAILED, wrong_sign)),
        Step("-1 Prepare for another service_id", _rule(SIGN_FAILED, other_service)),
        Step("-3 an unknown action (2)", _rule(ACTION_NOT_FOUND, new_prepare(action=2))),
        Step(
            "-5 Prepare for an unknown merchant_trans_id",
            _rule(USER_NOT_FOUND, new_prepare(order_id=f"{order}-x")),
        ),
        Step(
            "-2 Prepare with a wrong amount", _rule(WRONG_AMOUNT, new_prepare(amount=AMOUNT + 100))
        ),
        Step("Prepare → 0, merchant_prepare_id", _prepare("first", "paid")),
        Step("Prepare again → the same answer", _replay("first", "paid", "prepare")),
        Step("-1 Complete with a wrong sign_string", _rule(SIGN_FAILED, complete_bad_sign)),
        Step(
            "-6 Complete with an unknown merchant_prepare_id",
            _rule(TRANSACTION_NOT_FOUND, complete_unknown),
        ),
        Step(
            "-2 Complete with a wrong amount",
            _rule(
                WRONG_AMOUNT,
                lambda run: _complete_fields(run, "first", "paid", amount=AMOUNT + 100),
            ),
        ),
        Step("Complete → 0, invoice paid", _complete("first", "paid")),
        Step("Complete again → the same answer", _replay("first", "paid", "complete")),
        Step(
            "-4 Prepare (new click_trans_id) for the paid invoice",
            _rule(ALREADY_PAID, new_prepare()),
        ),
        Step(
            "-4 Complete with a Click error after payment, invoice stays paid",
            _click_error("first", "paid", ALREADY_PAID, "paid"),
        ),
        Step("Prepare of a second invoice → 0", _prepare("second", "declined")),
        Step(
            "-9 Complete with a Click error: cancelled, invoice stays pending",
            _click_error("second", "declined", CANCELLED, "pending"),
        ),
        Step(
            "-9 the same Complete again",
            _click_error("second", "declined", CANCELLED, "pending"),
        ),
        Step(
            "-9 Prepare again for the cancelled payment",
            _rule(
                CANCELLED,
                lambda run: _fields(
                    run,
                    action=0,
                    click_trans_id=run.values["second"],
                    order_id=run.values["declined"].order_id,
                ),
            ),
        ),
        Step(
            "-9 Prepare for an invoice cancelled by the hub",
            _rule(CANCELLED, new_prepare(order_id=voided.order_id)),
        ),
    ]
