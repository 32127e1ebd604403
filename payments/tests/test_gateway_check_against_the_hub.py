"""``manage.py gateway_check`` against a real live server of the hub: each gateway's scenario passes
every step (exit 0) and the run's gwcheck- invoices never stay payable; an unknown code or
provider, bad options, and the help text."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from payments.models import InvoiceStatus
from payments.tests.helpers import (
    CLICK_SECRET,
    PAYME_KEY,
    PAYNET_SECRET,
    UZUM_SECRET,
    check_invoices,
    gateway_check,
    gateway_integration,
    step_lines,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_payme_against_the_hub_passes_every_step(live_server, payme_integration):
    status, out, err = gateway_check("payme-vm07", "--base-url", live_server.url)
    print(out)
    lines = step_lines(out)
    assert status == 0, out
    assert len(lines) >= 25
    assert all(line.endswith(": ok") for line in lines), out
    assert out.splitlines()[-1] == f"{len(lines)} passed, 0 failed"
    assert PAYME_KEY not in out + err
    invoices = check_invoices()
    assert [invoice.status for invoice in invoices] == [InvoiceStatus.REFUNDED]
    # ChangePassword went with a wrong key only: the stored key is the same.
    payme_integration.refresh_from_db()
    assert payme_integration.api_secret == PAYME_KEY


def test_payme_with_refunds_forbidden_expects_31007_and_keeps_the_invoice_paid(
    live_server, payme_integration
):
    payme_integration.config = {"refunds_allowed": False, "account_field": "order"}
    payme_integration.save()
    status, out, _ = gateway_check("payme-vm07", "--base-url", live_server.url)
    assert status == 0, out
    assert "8 CheckTransaction → state 2 (refunds_allowed is false): ok" in out
    assert [invoice.status for invoice in check_invoices()] == [InvoiceStatus.PAID]


def test_click_against_the_hub_passes_every_rule(live_server, click_integration):
    status, out, err = gateway_check("click-vm07", "--base-url", live_server.url)
    print(out)
    lines = step_lines(out)
    assert status == 0, out
    assert len(lines) >= 20
    assert all(line.endswith(": ok") for line in lines), out
    assert CLICK_SECRET not in out + err
    statuses = {invoice.order_id.rsplit("-", 1)[1]: invoice.status for invoice in check_invoices()}
    # Click's Shop API cannot refund: the paid one stays paid, the others end cancelled.
    assert statuses == {
        "paid": InvoiceStatus.PAID,
        "declined": InvoiceStatus.CANCELLED,
        "cancelled": InvoiceStatus.CANCELLED,
    }


@pytest.mark.parametrize(
    ("code", "secret", "statuses"),
    [
        (
            "uzum-vm07",
            UZUM_SECRET,
            {"paid": "refunded", "cancelled": "cancelled", "reversed": "cancelled"},
        ),
        ("paynet-vm07", PAYNET_SECRET, {"paid": "refunded", "cancelled": "cancelled"}),
    ],
)
def test_uzum_and_paynet_against_the_hub_pass_every_row(
    live_server, uzum_gateway, paynet_gateway, code, secret, statuses
):
    status, out, err = gateway_check(code, "--base-url", live_server.url)
    print(out)
    lines = step_lines(out)
    assert status == 0, out
    assert len(lines) >= 30
    assert all(line.endswith(": ok") for line in lines), out
    assert secret not in out + err
    found = {invoice.order_id.rsplit("-", 1)[1]: invoice.status for invoice in check_invoices()}
    assert found == statuses
    # Paynet's ChangePassword went with a wrong password only: the password is unchanged.
    checked = uzum_gateway if code == "uzum-vm07" else paynet_gateway
    checked.refresh_from_db()
    assert checked.api_secret == secret


def test_an_unknown_code_or_provider_is_a_command_error(db):
    with pytest.raises(CommandError, match="No integration with code 'nope'"):
        call_command("gateway_check", "nope")
    gateway_integration(code="stripe-shop", provider="stripe")
    with pytest.raises(CommandError, match=r"provider 'stripe'.*cannot check"):
        call_command("gateway_check", "stripe-shop")
    assert not check_invoices()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://x"], "--base-url must be"),
        (["--timeout", "0"], "--timeout must be"),
    ],
)
def test_bad_options_are_command_errors(payme_integration, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("gateway_check", "payme-vm07", *args)


def test_help_documents_the_command(capsys):
    with pytest.raises(SystemExit):
        call_command("gateway_check", "--help")
    text = capsys.readouterr().out
    for part in (
        "--base-url",
        "--timeout",
        "gwcheck-",
        "Exit status",
        "payme, click, uzum, paynet",
    ):
        assert part in " ".join(text.split()), part
