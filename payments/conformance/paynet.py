"""Paynet's conformance scenario: the rows of ``gateways.md`` 2.3 in their check order, and the
replays of 2.4 (JSON-RPC 2.0 on the receive URL).

-32300 (not POST) → credentials (HTTP 401 + 412) → -32700 → -32600 → -32601 → -32602 → 411 → 305,
then GetInformation 302 → result; PerformTransaction 201 (before the account) → 302 → 413 →
performed; CheckTransaction 1, 2 or 3; CancelTransaction 203 → 202 → (77) → cancelled;
GetStatement 414 → result. A repeated PerformTransaction answers 201, a repeated cancel 202.

ChangePassword is sent only with wrong credentials (→ 401): the run never changes the stored
password. The invoice the run pays is refunded by CancelTransaction (unless
``config.refunds_allowed`` is false: then the check expects 77 and the invoice stays paid); the
other is cancelled at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from payments.conformance.base import Answer, Mismatch, Run, Step, basic_auth
from payments.services import invoice_cancel

AMOUNT = 150_000  # tiyin
TASHKENT = timezone(timedelta(hours=5))
# Paynet's transactionId is an int64: the run's ids sit far above any real one.
_ID_BASE = 9_100_000_000_000_000_000


def _transaction_id() -> int:
    return _ID_BASE + secrets.randbelow(100_000_000_000_000_000)


def _service_id(run: Run) -> Any:
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


def _rpc(method: str, params: Any) -> dict[str, Any]:
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


def _rule(code: int, build: Callable[[Run], Any], *, status: int = 200, **options: Any) -> Any:
    def step(run: Run) -> None:
        _error(run, _post(run, build(run), **options), code, status=status)

    return step


def _without(request: dict[str, Any], name: str) -> dict[str, Any]:
    """The request with one of its params left out."""
    params = {key: value for key, value in request["params"].items() if key != name}
    return {**request, "params": params}


def _fields(run: Run, order_id: str) -> dict[str, str]:
    return {run.config.account_field: order_id}


def _information(run: Run) -> None:
    invoice = run.values["paid"]
    sent = _rpc(
        "GetInformation",
        {"serviceId": _service_id(run), "fields": _fields(run, invoice.order_id)},
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


def _perform_params(run: Run, transaction_id: int, order_id: str, amount: int) -> dict[str, Any]:
    return {
        "serviceId": _service_id(run),
        "transactionId": transaction_id,
        "transactionTime": _tashkent(datetime.now(TASHKENT)),
        "amount": amount,
        "fields": _fields(run, order_id),
    }


def _perform(run: Run) -> None:
    invoice = run.values["paid"]
    sent = _rpc(
        "PerformTransaction",
        _perform_params(run, run.values["first"], invoice.order_id, invoice.amount),
    )
    answer = _post(run, sent)
    result = _result(run, answer, sent, "providerTrnId")
    if type(result.get("providerTrnId")) is not int or result["providerTrnId"] <= 0:
        raise run.fail("a positive integer providerTrnId", answer)
    if not isinstance(result.get("timestamp"), str):
        raise run.fail("a timestamp", answer)
    run.values["provider_trn_id"] = result["providerTrnId"]
    run.expect_invoice(invoice, "paid")


def _check(key: str, state: int) -> Any:
    def step(run: Run) -> None:
        params = {
            "serviceId": _service_id(run),
            "transactionId": run.values[key],
            "timestamp": _tashkent(datetime.now(TASHKENT)),
        }
        sent = _rpc("CheckTransaction", params)
        answer = _post(run, sent)
        result = _result(run, answer, sent, f"transactionState {state}")
        expected_trn = run.need("provider_trn_id") if state != 3 else 0
        if result.get("transactionState") != state or result.get("providerTrnId") != expected_trn:
            raise run.fail(f"transactionState {state}, providerTrnId {expected_trn}", answer)

    return step


def _statement(listed: bool) -> Any:
    def step(run: Run) -> None:
        now = datetime.now(TASHKENT)
        params = {
            "serviceId": _service_id(run),
            "dateFrom": _tashkent(now - timedelta(hours=1)),
            "dateTo": _tashkent(now + timedelta(hours=1)),
        }
        sent = _rpc("GetStatement", params)
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


def _cancel_params(run: Run, transaction_id: int) -> dict[str, Any]:
    return {
        "serviceId": _service_id(run),
        "transactionId": transaction_id,
        "timestamp": _tashkent(datetime.now(TASHKENT)),
    }


def _cancel(run: Run) -> None:
    run.need("provider_trn_id")
    sent = _rpc("CancelTransaction", _cancel_params(run, run.values["first"]))
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


def scenario(run: Run) -> list[Step]:
    paid = run.invoice(AMOUNT, label="paid")
    voided = run.invoice(AMOUNT, label="cancelled")
    invoice_cancel(invoice=voided)
    auth = basic_auth(run.api_key, run.api_secret)
    run.remember_secret(auth)
    run.values.update(auth=auth, paid=paid, voided=voided, first=_transaction_id())
    order = paid.order_id
    refunds = run.config.refunds_allowed

    def information(order_id: str = order, **changes: Any) -> Callable[[Run], Any]:
        def build(run: Run) -> dict[str, Any]:
            params = {"serviceId": _service_id(run), "fields": _fields(run, order_id)}
            params.update(changes)
            return _rpc("GetInformation", {k: v for k, v in params.items() if v is not None})

        return build

    def perform(
        transaction_id: int | None = None, order_id: str = order, amount: int = AMOUNT
    ) -> Callable[[Run], dict[str, Any]]:
        def build(run: Run) -> dict[str, Any]:
            params = _perform_params(run, transaction_id or _transaction_id(), order_id, amount)
            return _rpc("PerformTransaction", params)

        return build

    def again(run: Run) -> dict[str, Any]:
        return perform(run.values["first"])(run)

    wrong_auth = basic_auth(run.api_key, "gwcheck-wrong-password")
    steps = [
        Step("-32300 GET instead of POST", _rule(-32300, information(), method="GET")),
        Step(
            "401 + 412 without Authorization",
            _rule(412, information(), status=401, auth=""),
        ),
        Step(
            "401 + 412 with a wrong password",
            _rule(412, information(), status=401, auth=wrong_auth),
        ),
        Step(
            "401 + 412 ChangePassword with a wrong password (nothing changes)",
            _rule(
                412,
                lambda run: _rpc("ChangePassword", {"newPassword": "gwcheck-never-stored"}),
                status=401,
                auth=wrong_auth,
            ),
        ),
        Step("-32700 a body that is not JSON", _rule(-32700, information(), raw=b"{not json")),
        Step("-32600 a JSON array", _rule(-32600, lambda run: [information()(run)])),
        Step(
            "-32600 without jsonrpc",
            _rule(
                -32600,
                lambda run: {k: v for k, v in information()(run).items() if k != "jsonrpc"},
            ),
        ),
        Step(
            "-32601 an unknown method",
            _rule(-32601, lambda run: _rpc("NoSuchMethod", {"serviceId": _service_id(run)})),
        ),
        Step(
            "-32602 params not an object",
            _rule(-32602, lambda run: {**information()(run), "params": ["x"]}),
        ),
        Step("411 GetInformation without serviceId", _rule(411, information(serviceId=None))),
        Step(
            "411 PerformTransaction without amount",
            _rule(411, lambda run: _without(perform()(run), "amount")),
        ),
        Step(
            "305 GetInformation for another serviceId",
            _rule(305, information(serviceId=999_999_999)),
        ),
        Step("302 GetInformation of an unknown account", _rule(302, information(f"{order}-x"))),
        Step("GetInformation → status 0, fields", _information),
        Step(
            "302 PerformTransaction for an unknown account",
            _rule(302, perform(order_id=f"{order}-x")),
        ),
        Step(
            "413 PerformTransaction with a wrong amount", _rule(413, perform(amount=AMOUNT + 100))
        ),
        Step("PerformTransaction → providerTrnId, invoice paid", _perform),
        Step("201 PerformTransaction again (same transactionId)", _rule(201, again)),
        Step("302 GetInformation of the paid invoice", _rule(302, information())),
        Step(
            "302 GetInformation of an invoice cancelled by the hub",
            _rule(302, information(voided.order_id)),
        ),
        Step(
            "302 PerformTransaction (new transactionId) for the paid invoice", _rule(302, perform())
        ),
        Step("CheckTransaction → state 1", _check("first", 1)),
        Step("CheckTransaction of an unknown id → state 3", _check("unknown", 3)),
        Step("GetStatement → the transaction", _statement(listed=True)),
        Step(
            "414 GetStatement with unreadable dates",
            _rule(
                414,
                lambda run: _rpc(
                    "GetStatement",
                    {"serviceId": _service_id(run), "dateFrom": "yesterday", "dateTo": "today"},
                ),
            ),
        ),
        Step(
            "203 CancelTransaction of an unknown id",
            _rule(
                203, lambda run: _rpc("CancelTransaction", _cancel_params(run, _transaction_id()))
            ),
        ),
        Step(
            "CancelTransaction → state 2, invoice refunded"
            if refunds
            else "77 CancelTransaction (refunds_allowed is false)",
            _cancel,
        ),
    ]
    if refunds:
        steps += [
            Step(
                "202 CancelTransaction again",
                _rule(
                    202,
                    lambda run: _rpc("CancelTransaction", _cancel_params(run, run.values["first"])),
                ),
            ),
            Step("CheckTransaction → state 2", _check("first", 2)),
            Step("GetStatement → no longer listed", _statement(listed=False)),
            Step("302 GetInformation of the refunded invoice", _rule(302, information())),
        ]
    run.values["unknown"] = _transaction_id()
    return steps
