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

from collections.abc import Callable
from typing import Any

from payments.conformance import paynet_checks as checks
from payments.conformance.base import Run, Step, basic_auth
from payments.services import invoice_cancel


def scenario(run: Run) -> list[Step]:
    paid = run.invoice(checks.AMOUNT, label="paid")
    voided = run.invoice(checks.AMOUNT, label="cancelled")
    invoice_cancel(invoice=voided)
    auth = basic_auth(run.api_key, run.api_secret)
    run.remember_secret(auth)
    run.values.update(auth=auth, paid=paid, voided=voided, first=checks.new_transaction_id())
    order = paid.order_id
    refunds = run.config.refunds_allowed

    def information(order_id: str = order, **changes: Any) -> Callable[[Run], Any]:
        def build(run: Run) -> dict[str, Any]:
            params = {
                "serviceId": checks.service_id(run),
                "fields": checks.account_fields(run, order_id),
            }
            params.update(changes)
            return checks.rpc("GetInformation", {k: v for k, v in params.items() if v is not None})

        return build

    def perform(
        transaction_id: int | None = None, order_id: str = order, amount: int = checks.AMOUNT
    ) -> Callable[[Run], dict[str, Any]]:
        def build(run: Run) -> dict[str, Any]:
            params = checks.perform_params(
                run, transaction_id or checks.new_transaction_id(), order_id, amount
            )
            return checks.rpc("PerformTransaction", params)

        return build

    def again(run: Run) -> dict[str, Any]:
        return perform(run.values["first"])(run)

    wrong_auth = basic_auth(run.api_key, "gwcheck-wrong-password")
    steps = [
        Step("-32300 GET instead of POST", checks.rule(-32300, information(), method="GET")),
        Step(
            "401 + 412 without Authorization",
            checks.rule(412, information(), status=401, auth=""),
        ),
        Step(
            "401 + 412 with a wrong password",
            checks.rule(412, information(), status=401, auth=wrong_auth),
        ),
        Step(
            "401 + 412 ChangePassword with a wrong password (nothing changes)",
            checks.rule(
                412,
                lambda run: checks.rpc("ChangePassword", {"newPassword": "gwcheck-never-stored"}),
                status=401,
                auth=wrong_auth,
            ),
        ),
        Step(
            "-32700 a body that is not JSON", checks.rule(-32700, information(), raw=b"{not json")
        ),
        Step("-32600 a JSON array", checks.rule(-32600, lambda run: [information()(run)])),
        Step(
            "-32600 without jsonrpc",
            checks.rule(
                -32600,
                lambda run: {k: v for k, v in information()(run).items() if k != "jsonrpc"},
            ),
        ),
        Step(
            "-32601 an unknown method",
            checks.rule(
                -32601,
                lambda run: checks.rpc("NoSuchMethod", {"serviceId": checks.service_id(run)}),
            ),
        ),
        Step(
            "-32602 params not an object",
            checks.rule(-32602, lambda run: {**information()(run), "params": ["x"]}),
        ),
        Step("411 GetInformation without serviceId", checks.rule(411, information(serviceId=None))),
        Step(
            "411 PerformTransaction without amount",
            checks.rule(411, lambda run: checks.without(perform()(run), "amount")),
        ),
        Step(
            "305 GetInformation for another serviceId",
            checks.rule(305, information(serviceId=999_999_999)),
        ),
        Step(
            "302 GetInformation of an unknown account", checks.rule(302, information(f"{order}-x"))
        ),
        Step("GetInformation → status 0, fields", checks.information),
        Step(
            "302 PerformTransaction for an unknown account",
            checks.rule(302, perform(order_id=f"{order}-x")),
        ),
        Step(
            "413 PerformTransaction with a wrong amount",
            checks.rule(413, perform(amount=checks.AMOUNT + 100)),
        ),
        Step("PerformTransaction → providerTrnId, invoice paid", checks.perform),
        Step("201 PerformTransaction again (same transactionId)", checks.rule(201, again)),
        Step("302 GetInformation of the paid invoice", checks.rule(302, information())),
        Step(
            "302 GetInformation of an invoice cancelled by the hub",
            checks.rule(302, information(voided.order_id)),
        ),
        Step(
            "302 PerformTransaction (new transactionId) for the paid invoice",
            checks.rule(302, perform()),
        ),
        Step("CheckTransaction → state 1", checks.check("first", 1)),
        Step("CheckTransaction of an unknown id → state 3", checks.check("unknown", 3)),
        Step("GetStatement → the transaction", checks.statement(listed=True)),
        Step(
            "414 GetStatement with unreadable dates",
            checks.rule(
                414,
                lambda run: checks.rpc(
                    "GetStatement",
                    {
                        "serviceId": checks.service_id(run),
                        "dateFrom": "yesterday",
                        "dateTo": "today",
                    },
                ),
            ),
        ),
        Step(
            "203 CancelTransaction of an unknown id",
            checks.rule(
                203,
                lambda run: checks.rpc(
                    "CancelTransaction", checks.cancel_params(run, checks.new_transaction_id())
                ),
            ),
        ),
        Step(
            "CancelTransaction → state 2, invoice refunded"
            if refunds
            else "77 CancelTransaction (refunds_allowed is false)",
            checks.cancel,
        ),
    ]
    if refunds:
        steps += [
            Step(
                "202 CancelTransaction again",
                checks.rule(
                    202,
                    lambda run: checks.rpc(
                        "CancelTransaction", checks.cancel_params(run, run.values["first"])
                    ),
                ),
            ),
            Step("CheckTransaction → state 2", checks.check("first", 2)),
            Step("GetStatement → no longer listed", checks.statement(listed=False)),
            Step("302 GetInformation of the refunded invoice", checks.rule(302, information())),
        ]
    run.values["unknown"] = checks.new_transaction_id()
    return steps
