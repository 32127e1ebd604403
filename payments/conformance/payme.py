"""Payme's conformance scenario: the sandbox sequence of ``protocols.md``, in its order.

(1) every method with wrong credentials → -32504; (2) Check and Create with a wrong amount →
-31001; (3) with an unknown account → -31050…-31099; (4) Check → allow; (5) Create, Create again
(the same answer), CheckTransaction; (6) Create with a new id for the same invoice → -31008;
(7) Cancel the created transaction (twice), CheckTransaction. Then Create, Perform (twice),
CheckTransaction, Cancel the performed one (twice: a refund, state -2), CheckTransaction, and
GetStatement. Payme answers everything with HTTP 200, errors included.

ChangePassword is sent only with wrong credentials: the run never changes the stored key.
"""

from __future__ import annotations

import secrets
from typing import Any

from payments.conformance.base import Answer, Mismatch, Run, Step, basic_auth
from payments.services import now_ms

AMOUNT = 150_000  # tiyin: 1 500 so'm
INSUFFICIENT_PRIVILEGE = -32504
METHOD_NOT_FOUND = -32601
WRONG_AMOUNT = -31001
TRANSACTION_NOT_FOUND = -31003
CANNOT_CANCEL = -31007
NOT_ALLOWED = -31008
ACCOUNT_ERRORS = range(-31099, -31049)


def _payme_id() -> str:
    """A 24-character id, as Payme's are."""
    return secrets.token_hex(12)


def _rpc(run: Run, method: str, params: dict[str, Any], *, auth: str | None = None) -> Answer:
    authorization = auth if auth is not None else run.values["auth"]
    headers = {"Authorization": authorization} if authorization else {}
    request_id = run.values["next_id"] = run.values.get("next_id", 0) + 1
    answer = run.call(
        json_body={"jsonrpc": "2.0", "id": request_id, "method": method, "params": params},
        headers=headers,
    )
    body = answer.json
    if answer.status != 200 or not isinstance(body, dict) or body.get("id") != request_id:
        raise run.fail(f"HTTP 200 with a JSON-RPC answer (id {request_id})", answer)
    return answer


def _error_code(run: Run, answer: Answer, expected: str, codes: Any) -> Any:
    error = answer.json.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code not in codes:
        raise run.fail(f"error {expected}", answer)
    return error


def _result(run: Run, answer: Answer, expected: str) -> dict[str, Any]:
    result = answer.json.get("result")
    if not isinstance(result, dict):
        raise run.fail(f"a result with {expected}", answer)
    return result


def _account(run: Run, order_id: str) -> dict[str, str]:
    return {run.config.account_field: order_id}


def _create_params(run: Run, payme_id: str, *, amount: int = AMOUNT, order_id: str = "") -> Any:
    return {
        "id": payme_id,
        "time": run.values["time"],
        "amount": amount,
        "account": _account(run, order_id or run.values["order_id"]),
    }


# --- steps -----------------------------------------------------------------------------------


def _wrong_auth(method: str, params_of: Any, auth_of: Any) -> Any:
    def step(run: Run) -> None:
        auth = auth_of(run)
        run.remember_secret(auth)
        answer = _rpc(run, method, params_of(run), auth=auth)
        _error_code(run, answer, str(INSUFFICIENT_PRIVILEGE), {INSUFFICIENT_PRIVILEGE})

    return step


def _expect_error(method: str, params_of: Any, expected: str, codes: Any) -> Any:
    def step(run: Run) -> None:
        answer = _rpc(run, method, params_of(run))
        _error_code(run, answer, expected, codes)

    return step


def _check_allows(run: Run) -> None:
    params = {"amount": AMOUNT, "account": _account(run, run.values["order_id"])}
    answer = _rpc(run, "CheckPerformTransaction", params)
    if _result(run, answer, '"allow": true').get("allow") is not True:
        raise run.fail('"allow": true', answer)


def _create(key: str) -> Any:
    def step(run: Run) -> None:
        answer = _rpc(run, "CreateTransaction", _create_params(run, run.values[key]))
        result = _result(run, answer, "state 1")
        if (
            result.get("state") != 1
            or not result.get("transaction")
            or not result.get("create_time")
        ):
            raise run.fail("state 1 with transaction and create_time", answer)
        run.values[f"{key}.create"] = result

    return step


def _repeat(method: str, key: str, first: str) -> Any:
    """The same call again: Payme requires the very same answer."""

    def step(run: Run) -> None:
        earlier = run.need(f"{key}.{first}")
        if method == "CreateTransaction":
            params = _create_params(run, run.values[key])
        elif method == "CancelTransaction":
            params = {"id": run.values[key], "reason": run.values[f"{key}.reason"]}
        else:
            params = {"id": run.values[key]}
        answer = _rpc(run, method, params)
        if earlier is None:
            # The first answer was the refusal of a refund (-31007): the repeat is refused too.
            _error_code(run, answer, str(CANNOT_CANCEL), {CANNOT_CANCEL})
        elif answer.json.get("result") != earlier:
            raise run.fail(f"the first answer again, {earlier}", answer)

    return step


def _check_transaction(key: str, state: int) -> Any:
    def step(run: Run) -> None:
        answer = _rpc(run, "CheckTransaction", {"id": run.values[key]})
        result = _result(run, answer, f"state {state}")
        created = run.need(f"{key}.create")
        if result.get("state") != state or result.get("transaction") != created["transaction"]:
            raise run.fail(f"state {state} of transaction {created['transaction']}", answer)
        if result.get("create_time") != created["create_time"]:
            raise run.fail(f"create_time {created['create_time']}", answer)
        if state in (-1, -2) and result.get("reason") != run.values[f"{key}.reason"]:
            raise run.fail(f"reason {run.values[f'{key}.reason']}", answer)
        if state in (2, -2) and not result.get("perform_time"):
            raise run.fail("a perform_time", answer)
        if state in (-1, -2) and not result.get("cancel_time"):
            raise run.fail("a cancel_time", answer)

    return step


def _perform(key: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.create")
        answer = _rpc(run, "PerformTransaction", {"id": run.values[key]})
        result = _result(run, answer, "state 2")
        if result.get("state") != 2 or not result.get("perform_time"):
            raise run.fail("state 2 with perform_time", answer)
        run.values[f"{key}.perform"] = result
        run.expect_invoice(run.values["invoice"], "paid")

    return step


def _cancel(key: str, reason: int, *, performed: bool) -> Any:
    """Cancel the transaction: before Perform (state -1) or after it (a refund, state -2)."""

    def step(run: Run) -> None:
        created = run.need(f"{key}.create")
        run.values[f"{key}.reason"] = reason
        answer = _rpc(run, "CancelTransaction", {"id": run.values[key], "reason": reason})
        if performed and not run.config.refunds_allowed:
            # config.refunds_allowed false: the goods are out, the refund is refused.
            _error_code(run, answer, f"{CANNOT_CANCEL} (refunds_allowed is false)", {CANNOT_CANCEL})
            run.values[f"{key}.cancel"] = None
            return
        state = -2 if performed else -1
        result = _result(run, answer, f"state {state}")
        if result.get("state") != state or result.get("transaction") != created["transaction"]:
            raise run.fail(f"state {state} with cancel_time", answer)
        if not result.get("cancel_time"):
            raise run.fail("a cancel_time", answer)
        run.values[f"{key}.cancel"] = result
        run.expect_invoice(run.values["invoice"], "refunded" if performed else "pending")

    return step


def _statement(run: Run) -> None:
    window = {"from": run.values["time"] - 60_000, "to": now_ms() + 60_000}
    answer = _rpc(run, "GetStatement", window)
    result = _result(run, answer, "transactions")
    listed = result.get("transactions")
    if not isinstance(listed, list):
        raise run.fail("a transactions list", answer)
    ids = [entry.get("id") for entry in listed if isinstance(entry, dict)]
    wanted = [run.values["first"], run.values["second"]]
    if [payme_id for payme_id in ids if payme_id in wanted] != wanted:
        raise Mismatch(
            f"both transactions of the run, in order ({', '.join(wanted)})",
            f"HTTP {answer.status}, {len(listed)} transactions, ids of the run: "
            f"{[payme_id for payme_id in ids if payme_id in wanted]}",
        )


def _unknown_transaction(run: Run) -> None:
    answer = _rpc(run, "CheckTransaction", {"id": _payme_id()})
    _error_code(run, answer, str(TRANSACTION_NOT_FOUND), {TRANSACTION_NOT_FOUND})


def _unknown_method(run: Run) -> None:
    answer = _rpc(run, "NoSuchMethod", {})
    _error_code(run, answer, str(METHOD_NOT_FOUND), {METHOD_NOT_FOUND})


def scenario(run: Run) -> list[Step]:
    """The steps, with the invoice they pay and the ids they use."""
    invoice = run.invoice(AMOUNT, label="1")
    run.values.update(
        invoice=invoice,
        order_id=invoice.order_id,
        time=now_ms(),
        auth=basic_auth("Paycom", run.api_secret),
        first=_payme_id(),
        other=_payme_id(),
        second=_payme_id(),
    )
    run.remember_secret(run.values["auth"])

    def params_for(method: str) -> Any:
        def params(run: Run) -> dict[str, Any]:
            every: dict[str, dict[str, Any]] = {
                "CheckPerformTransaction": {
                    "amount": AMOUNT,
                    "account": _account(run, run.values["order_id"]),
                },
                "CreateTransaction": _create_params(run, run.values["first"]),
                "PerformTransaction": {"id": run.values["first"]},
                "CancelTransaction": {"id": run.values["first"], "reason": 1},
                "CheckTransaction": {"id": run.values["first"]},
                "GetStatement": {"from": 0, "to": run.values["time"]},
                "ChangePassword": {"password": "gwcheck-never-stored"},
            }
            return every[method]

        return params

    methods = [
        "CheckPerformTransaction",
        "CreateTransaction",
        "PerformTransaction",
        "CancelTransaction",
        "CheckTransaction",
        "GetStatement",
        "ChangePassword",
    ]
    steps = [
        Step(
            f"1 {method} with a wrong key → -32504",
            _wrong_auth(method, params_for(method), lambda run: basic_auth("Paycom", "gwcheck-x")),
        )
        for method in methods
    ]
    steps += [
        Step(
            "1 CheckPerformTransaction without Authorization → -32504",
            _wrong_auth("CheckPerformTransaction", params_for("CheckPerformTransaction"), _empty),
        ),
        Step(
            "1 CheckPerformTransaction with login other than Paycom → -32504",
            _wrong_auth(
                "CheckPerformTransaction",
                params_for("CheckPerformTransaction"),
                lambda run: basic_auth("Other", run.api_secret),
            ),
        ),
        Step(
            "2 CheckPerformTransaction with a wrong amount → -31001",
            _expect_error(
                "CheckPerformTransaction",
                lambda run: {"amount": AMOUNT + 100, "account": _account(run, invoice.order_id)},
                str(WRONG_AMOUNT),
                {WRONG_AMOUNT},
            ),
        ),
        Step(
            "2 CreateTransaction with a wrong amount → -31001",
            _expect_error(
                "CreateTransaction",
                lambda run: _create_params(run, _payme_id(), amount=AMOUNT + 100),
                str(WRONG_AMOUNT),
                {WRONG_AMOUNT},
            ),
        ),
        Step(
            "3 CheckPerformTransaction with an unknown account → -31050…-31099",
            _expect_error(
                "CheckPerformTransaction",
                lambda run: {"amount": AMOUNT, "account": _account(run, f"{invoice.order_id}-x")},
                "-31050…-31099",
                ACCOUNT_ERRORS,
            ),
        ),
        Step(
            "3 CreateTransaction with an unknown account → -31050…-31099",
            _expect_error(
                "CreateTransaction",
                lambda run: _create_params(run, _payme_id(), order_id=f"{invoice.order_id}-x"),
                "-31050…-31099",
                ACCOUNT_ERRORS,
            ),
        ),
        Step("4 CheckPerformTransaction → allow", _check_allows),
        Step("5 CreateTransaction → state 1", _create("first")),
        Step(
            "5 CreateTransaction again → the same answer",
            _repeat("CreateTransaction", "first", "create"),
        ),
        Step("5 CheckTransaction → state 1", _check_transaction("first", 1)),
        Step(
            "6 CreateTransaction with a new id for the same invoice → -31008",
            _expect_error(
                "CreateTransaction",
                lambda run: _create_params(run, run.values["other"]),
                "-31008 (or -31050…-31099)",
                {NOT_ALLOWED, *ACCOUNT_ERRORS},
            ),
        ),
        Step(
            "7 CancelTransaction of the created one → state -1",
            _cancel("first", 3, performed=False),
        ),
        Step(
            "7 CancelTransaction again → the same answer",
            _repeat("CancelTransaction", "first", "cancel"),
        ),
        Step("7 CheckTransaction → state -1", _check_transaction("first", -1)),
        Step("8 CreateTransaction (new id) → state 1", _create("second")),
        Step(
            "8 CreateTransaction again → the same answer",
            _repeat("CreateTransaction", "second", "create"),
        ),
        Step("8 PerformTransaction → state 2, invoice paid", _perform("second")),
        Step(
            "8 PerformTransaction again → the same answer",
            _repeat("PerformTransaction", "second", "perform"),
        ),
        Step("8 CheckTransaction → state 2", _check_transaction("second", 2)),
        Step(
            "8 CancelTransaction of the performed one → state -2, invoice refunded"
            if run.config.refunds_allowed
            else "8 CancelTransaction of the performed one → -31007 (refunds_allowed is false)",
            _cancel("second", 5, performed=True),
        ),
        Step(
            "8 CancelTransaction again → the same answer",
            _repeat("CancelTransaction", "second", "cancel"),
        ),
        Step("8 CheckTransaction → state -2", _check_transaction("second", -2)),
        Step("9 GetStatement → both transactions", _statement),
        Step("9 CheckTransaction of an unknown id → -31003", _unknown_transaction),
        Step("9 an unknown method → -32601", _unknown_method),
    ]
    if not run.config.refunds_allowed:
        # The refund is refused: the last check reads the transaction still performed.
        steps = [
            Step(
                "8 CheckTransaction → state 2 (refunds_allowed is false)",
                _check_transaction("second", 2),
            )
            if step.name == "8 CheckTransaction → state -2"
            else step
            for step in steps
        ]
    return steps


def _empty(run: Run) -> str:
    return ""
