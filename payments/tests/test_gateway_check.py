"""``manage.py gateway_check``: each gateway's scenario against a real live server of the hub
(every step ok, exit 0), and against servers that answer wrongly, fail or never answer (FAIL
lines, exit 1, no traceback); the run's gwcheck- invoices never stay payable."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from payments.models import InvoiceStatus, PaymentInvoice
from payments.tests.conftest import (
    CLICK_MERCHANT_ID,
    CLICK_SECRET,
    CLICK_SERVICE_ID,
    PAYME_KEY,
    PAYME_MERCHANT,
    gateway_integration,
)

pytestmark = pytest.mark.django_db(transaction=True)


def gateway_check(*args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("gateway_check", *args, stdout=out, stderr=err, no_color=True)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


def step_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": ok" in line or ": FAIL" in line]


def check_invoices() -> list[PaymentInvoice]:
    return list(PaymentInvoice.objects.filter(order_id__startswith="gwcheck-"))


@pytest.fixture
def payme_integration():
    return gateway_integration(
        code="payme-vm07", provider="payme", api_key=PAYME_MERCHANT, api_secret=PAYME_KEY
    )


@pytest.fixture
def click_integration():
    return gateway_integration(
        code="click-vm07",
        provider="click",
        api_secret=CLICK_SECRET,
        config={"service_id": int(CLICK_SERVICE_ID), "merchant_id": CLICK_MERCHANT_ID},
    )


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
