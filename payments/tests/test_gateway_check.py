"""``manage.py gateway_check``: each gateway's scenario against a real live server of the hub
(every step ok, exit 0), and against servers that answer wrongly, fail or never answer (FAIL
lines, exit 1, no traceback); the run's gwcheck- invoices never stay payable."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.management import CommandError, call_command

from core.testing.servers import free_port
from payments.models import InvoiceStatus, PaymentInvoice
from payments.tests.helpers import (
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


UZUM_SECRET = "Vx9-tQ2r-7Lp"
PAYNET_SECRET = "Kd4-mW8z-3Hs"


@pytest.fixture
def uzum_integration():
    return gateway_integration(
        code="uzum-vm07",
        provider="uzum",
        api_key="uzum-vm07",
        api_secret=UZUM_SECRET,
        config={"service_id": 101202},
    )


@pytest.fixture
def paynet_integration():
    return gateway_integration(
        code="paynet-vm07",
        provider="paynet",
        api_key="paynet-vm07",
        api_secret=PAYNET_SECRET,
        config={"service_id": 4321},
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


# --- servers that answer wrongly ------------------------------------------------------------

Reply = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def wrong_server() -> Iterator[Callable[[Reply], str]]:
    """Start a local HTTP server whose every POST is answered by the given function; its URL."""
    servers: list[ThreadingHTTPServer] = []
    release = threading.Event()

    def start(reply: Reply) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.server.last_body = self.rfile.read(  # type: ignore[attr-defined]
                    int(self.headers.get("Content-Length") or 0)
                )
                reply(self)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.release = release  # type: ignore[attr-defined]
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def empty_result(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, b'{"result":{}}', "application/json")


def server_error(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 500, b"<h1>Server Error (500)</h1>", "text/html")


def echo_authorization(handler: BaseHTTPRequestHandler) -> None:
    """A server that puts the caller's credentials into its answer: the report must not."""
    authorization = handler.headers.get("Authorization", "")
    token = authorization.partition(" ")[2]
    decoded = base64.b64decode(authorization.partition(" ")[2] or b"").decode(errors="replace")
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": 1, "message": f"{authorization} {decoded} ({token})"},
    }
    send(handler, 200, json.dumps(body).encode(), "application/json")


def lying_proxy(target: str) -> Reply:
    """Forward every call to the hub at ``target``, but report a PerformTransaction as still
    created (state 1): a subtle protocol bug the check must catch, step by step."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        body = handler.server.last_body  # type: ignore[attr-defined]
        answer = requests.post(
            target + handler.path,
            data=body,
            headers={
                "Content-Type": handler.headers["Content-Type"],
                "Authorization": handler.headers.get("Authorization", ""),
            },
            timeout=10,
        )
        data = answer.json()
        if json.loads(body).get("method") == "PerformTransaction" and "result" in data:
            data["result"]["state"] = 1
        send(handler, answer.status_code, json.dumps(data).encode(), "application/json")

    return reply


def never_answers(handler: BaseHTTPRequestHandler) -> None:
    handler.server.release.wait(30)  # type: ignore[attr-defined]


def assert_readable_failure(status: int, out: str, err: str) -> list[str]:
    assert status == 1, out
    assert "Traceback" not in out + err
    lines = step_lines(out)
    failures = [line for line in lines if ": FAIL " in line]
    assert failures, out
    for line in failures:
        assert any(part in line for part in ("expected", "no answer", "refused", "not checked")), (
            line
        )
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"{len(lines) - len(failures)} passed, {len(failures)} failed"), last
    return failures


@pytest.mark.parametrize("code", ["payme-vm07", "click-vm07", "uzum-vm07", "paynet-vm07"])
def test_a_server_answering_an_empty_result_fails_every_step(
    wrong_server, payme_integration, click_integration, uzum_integration, paynet_integration, code
):
    status, out, err = gateway_check(code, "--base-url", wrong_server(empty_result))
    failures = assert_readable_failure(status, out, err)
    assert len(failures) == len(step_lines(out))
    assert 'got HTTP 200 {"result": {}}' in failures[0]
    assert all(
        secret not in out for secret in (PAYME_KEY, CLICK_SECRET, UZUM_SECRET, PAYNET_SECRET)
    )
    # Nothing was paid: every invoice the run created is cancelled again.
    invoices = check_invoices()
    assert invoices and all(invoice.status == InvoiceStatus.CANCELLED for invoice in invoices)


def test_a_server_error_is_a_fail_line_with_the_status(wrong_server, payme_integration):
    status, out, err = gateway_check("payme-vm07", "--base-url", wrong_server(server_error))
    failures = assert_readable_failure(status, out, err)
    assert "expected HTTP 200 with a JSON-RPC answer" in failures[0]
    assert 'got HTTP 500 non-JSON body "<h1>Server Error (500)</h1>"' in failures[0]
    assert all(invoice.status == InvoiceStatus.CANCELLED for invoice in check_invoices())


def test_click_against_a_server_error(wrong_server, click_integration):
    status, out, err = gateway_check("click-vm07", "--base-url", wrong_server(server_error))
    failures = assert_readable_failure(status, out, err)
    assert "got HTTP 500" in failures[0]
    assert all(invoice.status == InvoiceStatus.CANCELLED for invoice in check_invoices())


def test_a_hub_that_misreports_one_method_fails_those_steps_only(
    live_server, wrong_server, payme_integration
):
    status, out, err = gateway_check(
        "payme-vm07", "--base-url", wrong_server(lying_proxy(live_server.url))
    )
    failures = assert_readable_failure(status, out, err)
    assert failures == [
        "8 PerformTransaction → state 2, invoice paid: FAIL expected state 2 with perform_time; "
        f"got HTTP 200 {{{failures[0].split('{', 1)[1]}",
        "8 PerformTransaction again → the same answer: FAIL not checked: it builds on an "
        "earlier step that failed",
    ]
    assert '"state": 1' in failures[0]
    assert out.strip().splitlines()[-1] == f"{len(step_lines(out)) - 2} passed, 2 failed"
    # The hub itself did pay and refund the invoice; nothing is left payable.
    assert [invoice.status for invoice in check_invoices()] == [InvoiceStatus.REFUNDED]


def test_an_inactive_integration_is_flagged_and_fails(live_server, click_integration):
    click_integration.status = "inactive"
    click_integration.save()
    status, out, err = gateway_check("click-vm07", "--base-url", live_server.url)
    assert "note: the integration is inactive" in out
    failures = assert_readable_failure(status, out, err)
    assert any("got HTTP 200" in line and '"error": -9' in line for line in failures), out
    assert all(invoice.status == InvoiceStatus.CANCELLED for invoice in check_invoices())


def test_a_server_that_never_answers_times_out_and_stops(wrong_server, payme_integration):
    url = wrong_server(never_answers)
    status, out, err = gateway_check("payme-vm07", "--base-url", url, "--timeout", "0.5")
    failures = assert_readable_failure(status, out, err)
    assert failures == [
        "1 CheckPerformTransaction with a wrong key → -32504: FAIL no answer within 0.5 s from "
        f"{url}/api/webhooks/receive/payme-vm07"
    ]
    assert "not run (the server stopped answering)" in out.strip().splitlines()[-1]
    assert all(invoice.status == InvoiceStatus.CANCELLED for invoice in check_invoices())


def test_a_refused_connection_is_a_fail_line(payme_integration):
    url = f"http://127.0.0.1:{free_port()}"
    status, out, err = gateway_check("payme-vm07", "--base-url", url)
    failures = assert_readable_failure(status, out, err)
    assert len(failures) == 1 and "connection refused" in failures[0]
    assert all(invoice.status == InvoiceStatus.CANCELLED for invoice in check_invoices())


def test_credentials_echoed_by_a_server_never_reach_the_output(
    wrong_server, payme_integration, click_integration
):
    url = wrong_server(echo_authorization)
    status, out, err = gateway_check("payme-vm07", "--base-url", url)
    assert_readable_failure(status, out, err)
    assert "[REDACTED]" in out
    assert PAYME_KEY not in out + err
    assert base64.b64encode(f"Paycom:{PAYME_KEY}".encode()).decode() not in out + err


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
    live_server, uzum_integration, paynet_integration, code, secret, statuses
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
    checked = uzum_integration if code == "uzum-vm07" else paynet_integration
    checked.refresh_from_db()
    assert checked.api_secret == secret
