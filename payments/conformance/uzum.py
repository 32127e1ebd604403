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

from payments.conformance import uzum_checks as checks
from payments.conformance.base import Run, Step, basic_auth
from payments.services import invoice_cancel


def scenario(run: Run) -> list[Step]:
    amount = checks.amount_within_limits(run)
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
        return lambda run: {
            **checks.request_body(run, params=checks.account_params(run, order_id)),
            **changes,
        }

    def create(trans_id: str | None = None, order_id: str = order, **changes: Any) -> Any:
        def build(run: Run) -> dict[str, Any]:
            body = checks.request_body(
                run,
                transId=trans_id or str(uuid.uuid4()),
                params=checks.account_params(run, order_id),
                amount=amount,
            )
            body.update(changes)
            return body

        return build

    def unknown(run: Run) -> dict[str, Any]:
        return checks.request_body(run, transId=str(uuid.uuid4()))

    wrong_auth = basic_auth(run.api_key, "gwcheck-wrong-password")
    steps = [
        Step("10001 /check without Authorization", checks.rule("10001", "check", check(), auth="")),
        Step(
            "10001 /check with a wrong password",
            checks.rule("10001", "check", check(), auth=wrong_auth),
        ),
        Step(
            "10002 /check with a body that is not JSON",
            checks.rule("10002", "check", check(), raw=b"{not json"),
        ),
        Step("10003 an unknown operation (/refund)", checks.rule("10003", "refund", check())),
        Step("10003 no operation (the bare URL)", checks.rule("10003", "", check())),
        Step("10003 GET /check", checks.rule("10003", "check", check(), method="GET")),
        Step(
            "10005 /check without params",
            checks.rule("10005", "check", lambda run: checks.request_body(run)),
        ),
        Step(
            "10005 /check without timestamp", checks.rule("10005", "check", check(timestamp=None))
        ),
        Step(
            "10005 /create with a string amount",
            checks.rule("10005", "create", create(amount=str(amount))),
        ),
        Step(
            "10005 /confirm without phone",
            checks.rule(
                "10005",
                "confirm",
                lambda run: {
                    key: value
                    for key, value in checks.confirm_body(run, str(uuid.uuid4())).items()
                    if key != "phone"
                },
            ),
        ),
        Step(
            "10006 /check for another serviceId",
            checks.rule("10006", "check", lambda run: {**check()(run), "serviceId": 999_999_999}),
        ),
        Step(
            "10007 /check without the account key in params",
            checks.rule(
                "10007", "check", lambda run: checks.request_body(run, params={"gwcheck": order})
            ),
        ),
        Step(
            "10007 /check of an unknown order", checks.rule("10007", "check", check(f"{order}-x"))
        ),
        Step("/check → OK", checks.check_ok),
        Step(
            "10007 /create for an unknown order",
            checks.rule("10007", "create", create(order_id=f"{order}-x")),
        ),
        Step(
            "10011 /create with a wrong amount",
            checks.rule("10011", "create", create(amount=amount + 100)),
        ),
        Step(
            "10011 /create with the amount in so'm",
            checks.rule("10011", "create", create(amount=amount // 100)),
        ),
        Step("/create → CREATED, invoice held", checks.create("first", "paid")),
        Step(
            "10010 /create again (same transId)",
            checks.rule("10010", "create", lambda run: create(run.values["first"])(run)),
        ),
        Step("10008 /check while the payment is in flight", checks.rule("10008", "check", check())),
        Step(
            "10008 /create (new transId) while the first is live",
            checks.rule("10008", "create", lambda run: create(run.values["other"])(run)),
        ),
        Step("/status → CREATED", checks.transaction_status("first", "CREATED")),
        Step(
            "10014 /confirm of an unknown transId",
            checks.rule(
                "10014", "confirm", lambda run: checks.confirm_body(run, str(uuid.uuid4()))
            ),
        ),
        Step("10014 /reverse of an unknown transId", checks.rule("10014", "reverse", unknown)),
        Step("10014 /status of an unknown transId", checks.rule("10014", "status", unknown)),
        Step("/confirm → CONFIRMED, invoice paid", checks.confirm("first", "paid")),
        Step(
            "10016 /confirm again",
            checks.rule(
                "10016", "confirm", lambda run: checks.confirm_body(run, run.values["first"])
            ),
        ),
        Step("/status → CONFIRMED", checks.transaction_status("first", "CONFIRMED")),
        Step("10008 /check of the paid invoice", checks.rule("10008", "check", check())),
        Step(
            "10010 /create (same transId) after payment",
            checks.rule("10010", "create", lambda run: create(run.values["first"])(run)),
        ),
        Step(
            "/reverse of the confirmed payment → REVERSED, invoice refunded"
            if refunds
            else "10017 /reverse of the confirmed payment (refunds_allowed is false)",
            checks.refunded_or_refused,
        ),
    ]
    if refunds:
        steps += [
            Step(
                "10018 /reverse again",
                checks.rule(
                    "10018",
                    "reverse",
                    lambda run: checks.request_body(run, transId=run.values["first"]),
                ),
            ),
            Step("/status → REVERSED", checks.transaction_status("first", "REVERSED")),
            Step("10009 /check of the refunded invoice", checks.rule("10009", "check", check())),
        ]
    else:
        steps.append(
            Step(
                "/status → CONFIRMED (nothing changed)",
                checks.transaction_status("first", "CONFIRMED"),
            )
        )
    steps += [
        Step(
            "10009 /check of an invoice cancelled by the hub",
            checks.rule("10009", "check", check(voided.order_id)),
        ),
        Step(
            "10009 /create for an invoice cancelled by the hub",
            checks.rule("10009", "create", create(order_id=voided.order_id)),
        ),
        Step("/create on a third invoice → CREATED", checks.create("third", "reversed")),
        Step(
            "/reverse of the created payment → REVERSED, invoice stays pending",
            checks.reverse("third", "reversed", "pending"),
        ),
        Step(
            "10015 /confirm of the reversed payment",
            checks.rule(
                "10015", "confirm", lambda run: checks.confirm_body(run, run.values["third"])
            ),
        ),
        Step("/status → REVERSED", checks.transaction_status("third", "REVERSED")),
    ]
    return steps
