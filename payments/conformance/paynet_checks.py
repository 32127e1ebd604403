"""The calls of Paynet's conformance scenario (``payments.conformance.paynet``) and how their
answers are checked: a JSON-RPC request as Paynet sends it, an error row of the table (the
code, HTTP 200 or 401), and one step builder per method that succeeds (GetInformation,
PerformTransaction, CheckTransaction, GetStatement, CancelTransaction).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from payments.conformance.base import Answer, Mismatch, Run

AMOUNT = 150_000  # tiyin
TASHKENT = timezone(timedelta(hours=5))
# Paynet's transactionId is an int64: the run's ids sit far above any real one.
_ID_BASE = 9_100_000_000_000_000_000


def new_transaction_id() -> int:
    return _ID_BASE + secrets.randbelow(100_000_000_000_000_000)


def service_id(run: Run) -> Any:
    text = str(run.config.service_id or "")
    return int(text) if text.isdigit() else text


def _tashkent(moment: datetime) -> str:
    return moment.astimezone(TASHKENT).strftime("%Y-%m-%d %H:%M:%S")


def _post(
    run: Run,
    body: Any,
    *,
    auth: str | None = None,
    method: str = "POST",
    raw: bytes | None = None,
) -> Answer:
    authorization = run.values["auth"] if auth is None else auth
    headers = {"Authorization": authorization} if authorization else {}
    if method != "POST":
        return run.call(method=method, headers=headers)
    if raw is not None:
        return run.call(data=raw, content_type="application/json", headers=headers)
    return run.call(json_body=body, headers=headers)


def rpc(method: str, params: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": secrets.randbelow(1_000_000) + 1,
        "method": method,
        "params": params,
    }


def _error(run: Run, answer: Answer, code: int, *, status: int = 200) -> None:
    body = answer.json
    error = body.get("error") if isinstance(body, dict) else None
    if answer.status != status or not isinstance(error, dict) or error.get("code") != code:
        raise run.fail(f"HTTP {status} with error {code}", answer)


def _result(run: Run, answer: Answer, sent: dict[str, Any] | None, what: str) -> dict[str, Any]:
    body = answer.json
    result = body.get("result") if isinstance(body, dict) else None
    if answer.status != 200 or not isinstance(result, dict):
        raise run.fail(f"HTTP 200 with a result ({what})", answer)
    if sent is not None and body.get("id") != sent["id"]:
        raise run.fail(f"the request id {sent['id']} echoed", answer)
    found: dict[str, Any] = result
    return found


def rule(code: int, build: Callable[[Run], Any], *, status: int = 200, **options: Any) -> Any:
    def step(run: Run) -> None:
        _error(run, _post(run, build(run), **options), code, status=status)

    return step


def without(request: dict[str, Any], name: str) -> dict[str, Any]:
    """The request with one of its params left out."""
    params = {key: value for key, value in request["params"].items() if key != name}
    return {**request, "params": params}


def account_fields(run: Run, order_id: str) -> dict[str, str]:
    return {run.config.account_field: order_id}


def information(run: Run) -> None:
    invoice = run.values["paid"]
    sent = rpc(
        "GetInformation",
        {"serviceId": service_id(run), "fields": account_fields(run, invoice.order_id)},
    )
    answer = _post(run, sent)
    result = _result(run, answer, sent, '"status": "0"')
    fields = result.get("fields")
    soums = f"{invoice.amount // 100}" + (
        f".{invoice.amount % 100:02d}" if invoice.amount % 100 else ""
    )
    if result.get("status") != "0" or not isinstance(fields, dict):
        raise run.fail('"status": "0" and fields', answer)
    if fields.get(run.config.account_field) != invoice.order_id:
        raise run.fail(f"fields.{run.config.account_field} {invoice.order_id}", answer)
    if str(fields.get("amount")).rstrip("0").rstrip(".") != soums.rstrip("0").rstrip("."):
        raise run.fail(f'fields.amount "{soums}" (so\'m)', answer)


def perform_params(run: Run, transaction_id: int, order_id: str, amount: int) -> dict[str, Any]:
    return {
        "serviceId": service_id(run),
        "transactionId": transaction_id,
        "transactionTime": _tashkent(datetime.now(TASHKENT)),
        "amount": amount,
        "fields": account_fields(run, order_id),
    }


def perform(run: Run) -> None:
    invoice = run.values["paid"]
    sent = rpc(
        "PerformTransaction",
        perform_params(run, run.values["first"], invoice.order_id, invoice.amount),
    )
    answer = _post(run, sent)
    result = _result(run, answer, sent, "providerTrnId")
    if type(result.get("providerTrnId")) is not int or result["providerTrnId"] <= 0:
        raise run.fail("a positive integer providerTrnId", answer)
    if not isinstance(result.get("timestamp"), str):
        raise run.fail("a timestamp", answer)
    run.values["provider_trn_id"] = result["providerTrnId"]
    run.expect_invoice(invoice, "paid")


def check(key: str, state: int) -> Any:
    def step(run: Run) -> None:
        params = {
            "serviceId": service_id(run),
            "transactionId": run.values[key],
            "timestamp": _tashkent(datetime.now(TASHKENT)),
        }
        sent = rpc("CheckTransaction", params)
        answer = _post(run, sent)
        result = _result(run, answer, sent, f"transactionState {state}")
        expected_trn = run.need("provider_trn_id") if state != 3 else 0
        if result.get("transactionState") != state or result.get("providerTrnId") != expected_trn:
            raise run.fail(f"transactionState {state}, providerTrnId {expected_trn}", answer)

    return step


def statement(listed: bool) -> Any:
    def step(run: Run) -> None:
        now = datetime.now(TASHKENT)
        params = {
            "serviceId": service_id(run),
            "dateFrom": _tashkent(now - timedelta(hours=1)),
            "dateTo": _tashkent(now + timedelta(hours=1)),
        }
        sent = rpc("GetStatement", params)
        answer = _post(run, sent)
        statements = _result(run, answer, sent, "statements").get("statements")
        if not isinstance(statements, list):
            raise run.fail("a statements list", answer)
        ours = [
            entry
            for entry in statements
            if isinstance(entry, dict) and entry.get("transactionId") == run.values["first"]
        ]
        invoice = run.values["paid"]
        if listed and (
            len(ours) != 1
            or ours[0].get("amount") != invoice.amount
            or ours[0].get("providerTrnId") != run.need("provider_trn_id")
        ):
            raise Mismatch(
                f"the run's transaction listed once, amount {invoice.amount}",
                f"HTTP {answer.status}, {len(statements)} statements, the run's: {ours}",
            )
        if not listed and ours:
            raise Mismatch(
                "the cancelled transaction no longer listed", f"HTTP {answer.status}, {ours}"
            )

    return step


def cancel_params(run: Run, transaction_id: int) -> dict[str, Any]:
    return {
        "serviceId": service_id(run),
        "transactionId": transaction_id,
        "timestamp": _tashkent(datetime.now(TASHKENT)),
    }


def cancel(run: Run) -> None:
    run.need("provider_trn_id")
    sent = rpc("CancelTransaction", cancel_params(run, run.values["first"]))
    answer = _post(run, sent)
    if not run.config.refunds_allowed:
        _error(run, answer, 77)
        run.expect_invoice(run.values["paid"], "paid")
        return
    result = _result(run, answer, sent, "transactionState 2")
    if (
        result.get("transactionState") != 2
        or result.get("providerTrnId") != run.values["provider_trn_id"]
    ):
        raise run.fail(f"transactionState 2, providerTrnId {run.values['provider_trn_id']}", answer)
    run.expect_invoice(run.values["paid"], "refunded")
