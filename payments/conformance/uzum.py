"""Uzum Bank's conformance scenario: the rows of ``gateways.md`` 1.3 in their check order, and the
replays of 1.4, on ``<receive URL>/<operation>``.

Common prefix 10001 (credentials) → 10002 (not JSON) → 10003 (verb, operation) → 10005 (fields)
→ 10006 (serviceId); then ``/check`` 10007 → 10008 → 10009 → OK; ``/create`` 10010 → 10007 →
10008/10009 → 10011 → CREATED; ``/confirm`` 10014 → 10016 → 10015 → CONFIRMED; ``/reverse`` 10014
→ 10018 → 10017 → REVERSED; ``/status``. Replays get their own codes, never an echo. Success is
HTTP 200; every error is HTTP 400 with ``status: "FAILED"`` and ``errorCode`` a string.

The invoice the run pays is refunded by ``/reverse`` (unless ``config.refunds_allowed`` is false:
then the check expects 10017 and the invoice stays paid); the others are cancelled at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from payments.conformance.base import Answer, Run, Step, basic_auth
from payments.services import invoice_cancel, now_ms

AMOUNT = 150_000  # tiyin


def _service_id(run: Run) -> Any:
    """``config.service_id`` as Uzum sends it: an integer (a string when it is not digits)."""
    text = str(run.config.service_id or "")
    return int(text) if text.isdigit() else text


def _amount(run: Run) -> int:
    """A test amount inside the optional ``config.min_amount``/``max_amount`` (tiyin)."""
    config = run.integration.config or {}
    low, high = config.get("min_amount"), config.get("max_amount")
    amount = AMOUNT
    if isinstance(low, int) and amount < low:
        amount = low
    if isinstance(high, int) and amount > high:
        amount = high
    return amount


def _body(run: Run, **fields: Any) -> dict[str, Any]:
    return {"serviceId": _service_id(run), "timestamp": now_ms(), **fields}


def _params(run: Run, order_id: str) -> dict[str, str]:
    return {run.config.account_field: order_id}


def _post(
    run: Run,
    operation: str,
    body: Any,
    *,
    auth: str | None = None,
    method: str = "POST",
    raw: bytes | None = None,
) -> Answer:
    authorization = run.values["auth"] if auth is None else auth
    headers = {"Authorization": authorization} if authorization else {}
    suffix = f"/{operation}" if operation else ""
    if raw is not None:
        return run.call(
            suffix, method=method, data=raw, content_type="application/json", headers=headers
        )
    if method != "POST":
        return run.call(suffix, method=method, headers=headers)
    return run.call(suffix, json_body=body, headers=headers)


def _error(run: Run, answer: Answer, code: str) -> None:
    body = answer.json
    if (
        answer.status != 400
        or not isinstance(body, dict)
        or body.get("errorCode") != code
        or body.get("status") != "FAILED"
    ):
        raise run.fail(f'HTTP 400 with "status": "FAILED", "errorCode": "{code}"', answer)


def _ok(run: Run, answer: Answer, status: str) -> dict[str, Any]:
    body = answer.json
    if answer.status != 200 or not isinstance(body, dict) or body.get("status") != status:
        raise run.fail(f'HTTP 200 with "status": "{status}"', answer)
    if str(body.get("serviceId")) != str(_service_id(run)):
        raise run.fail(f"serviceId {_service_id(run)}", answer)
    result: dict[str, Any] = body
    return result


def _rule(code: str, operation: str, build: Callable[[Run], Any], **options: Any) -> Any:
    """A call that the table answers with ``code``."""

    def step(run: Run) -> None:
        _error(run, _post(run, operation, build(run), **options), code)

    return step


def _check_ok(run: Run) -> None:
    order_id = run.values["paid"].order_id
    answer = _post(run, "check", _body(run, params=_params(run, order_id)))
    body = _ok(run, answer, "OK")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("account") != {"value": order_id}:
        raise run.fail(f'data.account {{"value": "{order_id}"}}', answer)


def _create(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        invoice = run.values[invoice_key]
        body = _body(
            run,
            transId=run.values[key],
            params=_params(run, invoice.order_id),
            amount=invoice.amount,
        )
        answer = _post(run, "create", body)
        result = _ok(run, answer, "CREATED")
        if (
            result.get("transId") != run.values[key]
            or result.get("amount") != invoice.amount
            or type(result.get("transTime")) is not int
        ):
            raise run.fail(f"transId, amount {invoice.amount} and an integer transTime", answer)
        run.values[f"{key}.transTime"] = result["transTime"]
        run.expect_invoice(invoice, "pending")

    return step


def _confirm_body(run: Run, trans_id: str) -> dict[str, Any]:
    return _body(
        run,
        transId=trans_id,
        paymentSource="UZCARD",
        tariff=None,
        processingReferenceNumber=None,
        phone="998901234567",
        cardType=None,
    )


def _confirm(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.transTime")
        answer = _post(run, "confirm", _confirm_body(run, run.values[key]))
        result = _ok(run, answer, "CONFIRMED")
        if result.get("transId") != run.values[key] or type(result.get("confirmTime")) is not int:
            raise run.fail("transId and an integer confirmTime", answer)
        run.values[f"{key}.confirmTime"] = result["confirmTime"]
        run.expect_invoice(run.values[invoice_key], "paid")

    return step


def _reverse(key: str, invoice_key: str, invoice_status: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.transTime")
        answer = _post(run, "reverse", _body(run, transId=run.values[key]))
        result = _ok(run, answer, "REVERSED")
        if result.get("transId") != run.values[key] or type(result.get("reverseTime")) is not int:
            raise run.fail("transId and an integer reverseTime", answer)
        run.expect_invoice(run.values[invoice_key], invoice_status)

    return step


def _status(key: str, status: str) -> Any:
    def step(run: Run) -> None:
        trans_time = run.need(f"{key}.transTime")
        answer = _post(run, "status", _body(run, transId=run.values[key]))
        result = _ok(run, answer, status)
        if result.get("transId") != run.values[key] or result.get("transTime") != trans_time:
            raise run.fail(f"transId and transTime {trans_time}", answer)
        confirmed = run.values.get(f"{key}.confirmTime")
        if status == "CONFIRMED" and result.get("confirmTime") != confirmed:
            raise run.fail(f"confirmTime {confirmed}", answer)
        if status == "REVERSED" and type(result.get("reverseTime")) is not int:
            raise run.fail("an integer reverseTime", answer)
        if status in ("CREATED", "CONFIRMED") and result.get("reverseTime") is not None:
            raise run.fail("reverseTime null", answer)

    return step


def _refunded_or_refused(run: Run) -> None:
    """``/reverse`` of the confirmed payment: a refund, or 10017 when refunds are off."""
    if run.config.refunds_allowed:
        _reverse("first", "paid", "refunded")(run)
        return
    run.need("first.transTime")
    answer = _post(run, "reverse", _body(run, transId=run.values["first"]))
    _error(run, answer, "10017")
    run.expect_invoice(run.values["paid"], "paid")


def scenario(run: Run) -> list[Step]:
    amount = _amount(run)
    paid = run.invoice(amount, label="paid")
    voided = run.invoice(amount, label="cancelled")
    reversed_ = run.invoice(amount, label="reversed")
    invoice_cancel(invoice=voided)
    auth = basic_auth(run.api_key, run.api_secret)
    run.remember_secret(auth)
    run.values.update(
        auth=auth,
        paid=paid,
        voided=voided,
        reversed=reversed_,
        first=str(uuid.uuid4()),
        other=str(uuid.uuid4()),
        third=str(uuid.uuid4()),
    )
    order = paid.order_id
    refunds = run.config.refunds_allowed

    def check(order_id: str = order, **changes: Any) -> Callable[[Run], Any]:
        return lambda run: {**_body(run, params=_params(run, order_id)), **changes}

    def create(trans_id: str | None = None, order_id: str = order, **changes: Any) -> Any:
        def build(run: Run) -> dict[str, Any]:
            body = _body(
                run,
                transId=trans_id or str(uuid.uuid4()),
                params=_params(run, order_id),
                amount=amount,
            )
            body.update(changes)
            return body

        return build

    def unknown(run: Run) -> dict[str, Any]:
        return _body(run, transId=str(uuid.uuid4()))

    wrong_auth = basic_auth(run.api_key, "gwcheck-wrong-password")
    steps = [
        Step("10001 /check without Authorization", _rule("10001", "check", check(), auth="")),
        Step(
            "10001 /check with a wrong password",
            _rule("10001", "check", check(), auth=wrong_auth),
        ),
        Step(
            "10002 /check with a body that is not JSON",
            _rule("10002", "check", check(), raw=b"{not json"),
        ),
        Step("10003 an unknown operation (/refund)", _rule("10003", "refund", check())),
        Step("10003 no operation (the bare URL)", _rule("10003", "", check())),
        Step("10003 GET /check", _rule("10003", "check", check(), method="GET")),
        Step("10005 /check without params", _rule("10005", "check", lambda run: _body(run))),
        Step("10005 /check without timestamp", _rule("10005", "check", check(timestamp=None))),
        Step(
            "10005 /create with a string amount",
            _rule("10005", "create", create(amount=str(amount))),
        ),
        Step(
            "10005 /confirm without phone",
            _rule(
                "10005",
                "confirm",
                lambda run: {
                    key: value
                    for key, value in _confirm_body(run, str(uuid.uuid4())).items()
                    if key != "phone"
                },
            ),
        ),
        Step(
            "10006 /check for another serviceId",
            _rule("10006", "check", lambda run: {**check()(run), "serviceId": 999_999_999}),
        ),
        Step(
            "10007 /check without the account key in params",
            _rule("10007", "check", lambda run: _body(run, params={"gwcheck": order})),
        ),
        Step("10007 /check of an unknown order", _rule("10007", "check", check(f"{order}-x"))),
        Step("/check → OK", _check_ok),
        Step(
            "10007 /create for an unknown order",
            _rule("10007", "create", create(order_id=f"{order}-x")),
        ),
        Step(
            "10011 /create with a wrong amount",
            _rule("10011", "create", create(amount=amount + 100)),
        ),
        Step(
            "10011 /create with the amount in so'm",
            _rule("10011", "create", create(amount=amount // 100)),
        ),
        Step("/create → CREATED, invoice held", _create("first", "paid")),
        Step(
            "10010 /create again (same transId)",
            _rule("10010", "create", lambda run: create(run.values["first"])(run)),
        ),
        Step("10008 /check while the payment is in flight", _rule("10008", "check", check())),
        Step(
            "10008 /create (new transId) while the first is live",
            _rule("10008", "create", lambda run: create(run.values["other"])(run)),
        ),
        Step("/status → CREATED", _status("first", "CREATED")),
        Step(
            "10014 /confirm of an unknown transId",
            _rule("10014", "confirm", lambda run: _confirm_body(run, str(uuid.uuid4()))),
        ),
        Step("10014 /reverse of an unknown transId", _rule("10014", "reverse", unknown)),
        Step("10014 /status of an unknown transId", _rule("10014", "status", unknown)),
        Step("/confirm → CONFIRMED, invoice paid", _confirm("first", "paid")),
        Step(
            "10016 /confirm again",
            _rule("10016", "confirm", lambda run: _confirm_body(run, run.values["first"])),
        ),
        Step("/status → CONFIRMED", _status("first", "CONFIRMED")),
        Step("10008 /check of the paid invoice", _rule("10008", "check", check())),
        Step(
            "10010 /create (same transId) after payment",
            _rule("10010", "create", lambda run: create(run.values["first"])(run)),
        ),
        Step(
            "/reverse of the confirmed payment → REVERSED, invoice refunded"
            if refunds
            else "10017 /reverse of the confirmed payment (refunds_allowed is false)",
            _refunded_or_refused,
        ),
    ]
    if refunds:
        steps += [
            Step(
                "10018 /reverse again",
                _rule("10018", "reverse", lambda run: _body(run, transId=run.values["first"])),
            ),
            Step("/status → REVERSED", _status("first", "REVERSED")),
            Step("10009 /check of the refunded invoice", _rule("10009", "check", check())),
        ]
    else:
        steps.append(Step("/status → CONFIRMED (nothing changed)", _status("first", "CONFIRMED")))
    steps += [
        Step(
            "10009 /check of an invoice cancelled by the hub",
            _rule("10009", "check", check(voided.order_id)),
        ),
        Step(
            "10009 /create for an invoice cancelled by the hub",
            _rule("10009", "create", create(order_id=voided.order_id)),
        ),
        Step("/create on a third invoice → CREATED", _create("third", "reversed")),
        Step(
            "/reverse of the created payment → REVERSED, invoice stays pending",
            _reverse("third", "reversed", "pending"),
        ),
        Step(
            "10015 /confirm of the reversed payment",
            _rule("10015", "confirm", lambda run: _confirm_body(run, run.values["third"])),
        ),
        Step("/status → REVERSED", _status("third", "REVERSED")),
    ]
    return steps
