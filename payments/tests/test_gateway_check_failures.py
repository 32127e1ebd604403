"""``manage.py gateway_check`` against servers that answer wrongly, fail or never answer: FAIL
lines, exit 1, no traceback, no credential in the output, and no gwcheck- invoice left payable."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from core.testing.servers import free_port
from payments.models import InvoiceStatus
from payments.tests.helpers import (
    CLICK_SECRET,
    PAYME_KEY,
    PAYNET_SECRET,
    UZUM_SECRET,
    check_invoices,
    gateway_check,
    step_lines,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
    wrong_server, payme_integration, click_integration, uzum_gateway, paynet_gateway, code
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
