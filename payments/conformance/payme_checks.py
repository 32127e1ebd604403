"""The calls of Payme's conformance scenario (``payments.conformance.payme``) and how their
answers are checked: a JSON-RPC call as Payme makes it, and one step builder per kind of row of
the sandbox sequence (wrong credentials, an expected error, Create, a repeat, Check, Perform,
Cancel, GetStatement).
"""

from __future__ import annotations

import secrets
from typing import Any

from payments.conformance.base import Answer, Mismatch, Run
from payments.services import now_ms

AMOUNT = 150_000  # tiyin: 1 500 so'm
INSUFFICIENT_PRIVILEGE = -32504
METHOD_NOT_FOUND = -32601
WRONG_AMOUNT = -31001
TRANSACTION_NOT_FOUND = -31003
CANNOT_CANCEL = -31007
NOT_ALLOWED = -31008
ACCOUNT_ERRORS = range(-31099, -31049)


def new_payme_id() -> str:
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


def account(run: Run, order_id: str) -> dict[str, str]:
    return {run.config.account_field: order_id}


def create_params(run: Run, payme_id: str, *, amount: int = AMOUNT, order_id: str = "") -> Any:
    return {
        "id": payme_id,
        "time": run.values["time"],
        "amount": amount,
        "account": account(run, order_id or run.values["order_id"]),
    }


def wrong_auth(method: str, params_of: Any, auth_of: Any) -> Any:
    def step(run: Run) -> None:
        auth = auth_of(run)
        run.remember_secret(auth)
        answer = _rpc(run, method, params_of(run), auth=auth)
        _error_code(run, answer, str(INSUFFICIENT_PRIVILEGE), {INSUFFICIENT_PRIVILEGE})

    return step


def expect_error(method: str, params_of: Any, expected: str, codes: Any) -> Any:
    def step(run: Run) -> None:
        answer = _rpc(run, method, params_of(run))
        _error_code(run, answer, expected, codes)

    return step


def check_allows(run: Run) -> None:
    params = {"amount": AMOUNT, "account": account(run, run.values["order_id"])}
    answer = _rpc(run, "CheckPerformTransaction", params)
    if _result(run, answer, '"allow": true').get("allow") is not True:
        raise run.fail('"allow": true', answer)


def create(key: str) -> Any:
    def step(run: Run) -> None:
        answer = _rpc(run, "CreateTransaction", create_params(run, run.values[key]))
        result = _result(run, answer, "state 1")
        if (
            result.get("state") != 1
            or not result.get("transaction")
            or not result.get("create_time")
        ):
            raise run.fail("state 1 with transaction and create_time", answer)
        run.values[f"{key}.create"] = result

    return step


def repeat(method: str, key: str, first: str) -> Any:
    """The same call again: Payme requires the very same answer."""

    def step(run: Run) -> None:
        earlier = run.need(f"{key}.{first}")
        if method == "CreateTransaction":
            params = create_params(run, run.values[key])
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


def check_transaction(key: str, state: int) -> Any:
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


def perform(key: str) -> Any:
    def step(run: Run) -> None:
        run.need(f"{key}.create")
        answer = _rpc(run, "PerformTransaction", {"id": run.values[key]})
        result = _result(run, answer, "state 2")
        if result.get("state") != 2 or not result.get("perform_time"):
            raise run.fail("state 2 with perform_time", answer)
        run.values[f"{key}.perform"] = result
        run.expect_invoice(run.values["invoice"], "paid")

    return step


def cancel(key: str, reason: int, *, performed: bool) -> Any:
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


def statement(run: Run) -> None:
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


def unknown_transaction(run: Run) -> None:
    answer = _rpc(run, "CheckTransaction", {"id": new_payme_id()})
    _error_code(run, answer, str(TRANSACTION_NOT_FOUND), {TRANSACTION_NOT_FOUND})


def unknown_method(run: Run) -> None:
    answer = _rpc(run, "NoSuchMethod", {})
    _error_code(run, answer, str(METHOD_NOT_FOUND), {METHOD_NOT_FOUND})
