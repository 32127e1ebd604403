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

from typing import Any

from payments.conformance import payme_checks as checks
from payments.conformance.base import Run, Step, basic_auth
from payments.services import now_ms


def scenario(run: Run) -> list[Step]:
    """The steps, with the invoice they pay and the ids they use."""
    invoice = run.invoice(checks.AMOUNT, label="1")
    run.values.update(
        invoice=invoice,
        order_id=invoice.order_id,
        time=now_ms(),
        auth=basic_auth("Paycom", run.api_secret),
        first=checks.new_payme_id(),
        other=checks.new_payme_id(),
        second=checks.new_payme_id(),
    )
    run.remember_secret(run.values["auth"])

    def params_for(method: str) -> Any:
        def params(run: Run) -> dict[str, Any]:
            every: dict[str, dict[str, Any]] = {
                "CheckPerformTransaction": {
                    "amount": checks.AMOUNT,
                    "account": checks.account(run, run.values["order_id"]),
                },
                "CreateTransaction": checks.create_params(run, run.values["first"]),
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
            checks.wrong_auth(
                method, params_for(method), lambda run: basic_auth("Paycom", "gwcheck-x")
            ),
        )
        for method in methods
    ]
    steps += [
        Step(
            "1 CheckPerformTransaction without Authorization → -32504",
            checks.wrong_auth(
                "CheckPerformTransaction", params_for("CheckPerformTransaction"), _empty
            ),
        ),
        Step(
            "1 CheckPerformTransaction with login other than Paycom → -32504",
            checks.wrong_auth(
                "CheckPerformTransaction",
                params_for("CheckPerformTransaction"),
                lambda run: basic_auth("Other", run.api_secret),
            ),
        ),
        Step(
            "2 CheckPerformTransaction with a wrong amount → -31001",
            checks.expect_error(
                "CheckPerformTransaction",
                lambda run: {
                    "amount": checks.AMOUNT + 100,
                    "account": checks.account(run, invoice.order_id),
                },
                str(checks.WRONG_AMOUNT),
                {checks.WRONG_AMOUNT},
            ),
        ),
        Step(
            "2 CreateTransaction with a wrong amount → -31001",
            checks.expect_error(
                "CreateTransaction",
                lambda run: checks.create_params(
                    run, checks.new_payme_id(), amount=checks.AMOUNT + 100
                ),
                str(checks.WRONG_AMOUNT),
                {checks.WRONG_AMOUNT},
            ),
        ),
        Step(
            "3 CheckPerformTransaction with an unknown account → -31050…-31099",
            checks.expect_error(
                "CheckPerformTransaction",
                lambda run: {
                    "amount": checks.AMOUNT,
                    "account": checks.account(run, f"{invoice.order_id}-x"),
                },
                "-31050…-31099",
                checks.ACCOUNT_ERRORS,
            ),
        ),
        Step(
            "3 CreateTransaction with an unknown account → -31050…-31099",
            checks.expect_error(
                "CreateTransaction",
                lambda run: checks.create_params(
                    run, checks.new_payme_id(), order_id=f"{invoice.order_id}-x"
                ),
                "-31050…-31099",
                checks.ACCOUNT_ERRORS,
            ),
        ),
        Step("4 CheckPerformTransaction → allow", checks.check_allows),
        Step("5 CreateTransaction → state 1", checks.create("first")),
        Step(
            "5 CreateTransaction again → the same answer",
            checks.repeat("CreateTransaction", "first", "create"),
        ),
        Step("5 CheckTransaction → state 1", checks.check_transaction("first", 1)),
        Step(
            "6 CreateTransaction with a new id for the same invoice → -31008",
            checks.expect_error(
                "CreateTransaction",
                lambda run: checks.create_params(run, run.values["other"]),
                "-31008 (or -31050…-31099)",
                {checks.NOT_ALLOWED, *checks.ACCOUNT_ERRORS},
            ),
        ),
        Step(
            "7 CancelTransaction of the created one → state -1",
            checks.cancel("first", 3, performed=False),
        ),
        Step(
            "7 CancelTransaction again → the same answer",
            checks.repeat("CancelTransaction", "first", "cancel"),
        ),
        Step("7 CheckTransaction → state -1", checks.check_transaction("first", -1)),
        Step("8 CreateTransaction (new id) → state 1", checks.create("second")),
        Step(
            "8 CreateTransaction again → the same answer",
            checks.repeat("CreateTransaction", "second", "create"),
        ),
        Step("8 PerformTransaction → state 2, invoice paid", checks.perform("second")),
        Step(
            "8 PerformTransaction again → the same answer",
            checks.repeat("PerformTransaction", "second", "perform"),
        ),
        Step("8 CheckTransaction → state 2", checks.check_transaction("second", 2)),
        Step(
            "8 CancelTransaction of the performed one → state -2, invoice refunded"
            if run.config.refunds_allowed
            else "8 CancelTransaction of the performed one → -31007 (refunds_allowed is false)",
            checks.cancel("second", 5, performed=True),
        ),
        Step(
            "8 CancelTransaction again → the same answer",
            checks.repeat("CancelTransaction", "second", "cancel"),
        ),
        Step("8 CheckTransaction → state -2", checks.check_transaction("second", -2)),
        Step("9 GetStatement → both transactions", checks.statement),
        Step("9 CheckTransaction of an unknown id → -31003", checks.unknown_transaction),
        Step("9 an unknown method → -32601", checks.unknown_method),
    ]
    if not run.config.refunds_allowed:
        # The refund is refused: the last check reads the transaction still performed.
        steps = [
            Step(
                "8 CheckTransaction → state 2 (refunds_allowed is false)",
                checks.check_transaction("second", 2),
            )
            if step.name == "8 CheckTransaction → state -2"
            else step
            for step in steps
        ]
    return steps


def _empty(run: Run) -> str:
    return ""
