"""The calls of Uzum Bank's conformance scenario (``payments.conformance.uzum``) and how their
answers are checked: a request to ``<receive URL>/<operation>`` as Uzum makes it, an error row
of the table (HTTP 400, ``status: "FAILED"``, the ``errorCode``), and one step builder per
operation that succeeds (``/check``, ``/create``, ``/confirm``, ``/reverse``, ``/status``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payments.conformance.base import Answer, Run
from payments.services import now_ms

AMOUNT = 150_000  # tiyin


def _service_id(run: Run) -> Any:
    """``config.service_id`` as Uzum sends it: an integer (a string when it is not digits)."""
    text = str(run.config.service_id or "")
    return int(text) if text.isdigit() else text


def amount_within_limits(run: Run) -> int:
    """A test amount inside the optional ``config.min_amount``/``max_amount`` (tiyin)."""
    config = run.integration.config or {}
    low, high = config.get("min_amount"), config.get("max_amount")
    amount = AMOUNT
    if isinstance(low, int) and amount < low:
        amount = low
    if isinstance(high, int) and amount > high:
        amount = high
    return amount


def request_body(run: Run, **fields: Any) -> dict[str, Any]:
    return {"serviceId": _service_id(run), "timestamp": now_ms(), **fields}


def account_params(run: Run, order_id: str) -> dict[str, str]:
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


def rule(code: str, operation: str, build: Callable[[Run], Any], **options: Any) -> Any:
    """A call that the table answers with ``code``."""

    def step(run: Run) -> None:
        _error(run, _post(run, operation, build(run), **options), code)

    return step


def check_ok(run: Run) -> None:
    order_id = run.values["paid"].order_id
    answer = _post(run, "check", request_body(run, params=account_params(run, order_id)))
    body = _ok(run, answer, "OK")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("account") != {"value": order_id}:
        raise run.fail(f'data.account {{"value": "{order_id}"}}', answer)


def create(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        invoice = run.values[invoice_key]
        body = request_body(
            run,
            transId=run.values[key],
            params=account_params(run, invoice.order_id),
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


def confirm_body(run: Run, trans_id: str) -> dict[str, Any]:
    return request_body(
        run,
        transId=trans_id,
        paymentSource="UZCARD",
        tariff=None,
        processingReferenceNumber=None,
        phone="998901234567",
        cardType=None,
    )


def confirm(key: str, invoice_key: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.transTime")
        answer = _post(run, "confirm", confirm_body(run, run.values[key]))
        result = _ok(run, answer, "CONFIRMED")
        if result.get("transId") != run.values[key] or type(result.get("confirmTime")) is not int:
            raise run.fail("transId and an integer confirmTime", answer)
        run.values[f"{key}.confirmTime"] = result["confirmTime"]
        run.expect_invoice(run.values[invoice_key], "paid")

    return step


def reverse(key: str, invoice_key: str, invoice_status: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.transTime")
        answer = _post(run, "reverse", request_body(run, transId=run.values[key]))
        result = _ok(run, answer, "REVERSED")
        if result.get("transId") != run.values[key] or type(result.get("reverseTime")) is not int:
            raise run.fail("transId and an integer reverseTime", answer)
        run.expect_invoice(run.values[invoice_key], invoice_status)

    return step


def transaction_status(key: str, status: str) -> Any:
    def step(run: Run) -> None:
        trans_time = run.need(f"{key}.transTime")
        answer = _post(run, "status", request_body(run, transId=run.values[key]))
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


def refunded_or_refused(run: Run) -> None:
    """``/reverse`` of the confirmed payment: a refund, or 10017 when refunds are off."""
    if run.config.refunds_allowed:
        reverse("first", "paid", "refunded")(run)
        return
    run.need("first.transTime")
    answer = _post(run, "reverse", request_body(run, transId=run.values["first"]))
    _error(run, answer, "10017")
    run.expect_invoice(run.values["paid"], "paid")
