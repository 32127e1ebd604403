"""A local HTTP server that speaks Click's merchant API (``gateways.md`` 3 to 5), for tests.

It checks the ``Auth`` header of every call (user id, ``sha1(timestamp + secret)``, a fresh
timestamp) and answers 401 otherwise. Its answers are programmable: a Click Pass charge is
``paid``, ``processing``, ``declined``, ``500`` or ``timeout``; payment status, reversal,
``ofd_data`` and ``submit_items`` each have a mode and a number of leading faults. It keeps every
request, the receipts submitted, and the payments it made, for assertions.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USER_ID = "41207"
SECRET = "Sk-9fQ2xLm7Zp4"
SERVICE_ID = 31555
BASE_PATH = "/v2/merchant"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ClickMerchantState:
    # Click Pass charge: paid | processing | declined | 500 | timeout
    pass_mode: str = "paid"
    confirm_mode: int = 0
    # payment/status: payment_status values served in turn (the last one repeats); "500" or
    # "timeout" as a value answers that way once.
    status_answers: list[Any] = field(default_factory=lambda: [2])
    reversal_mode: str = "ok"  # ok | declined | 500
    submit_mode: str = "ok"  # ok | declined | 500 | timeout
    # ofd_data: this many reads fail with 500 first; the receipt shows up this many reads after
    # a submission.
    ofd_faults: int = 0
    ofd_ready_after: int = 0
    # Seconds a "timeout" answer sleeps (longer than the client's timeout).
    slow_seconds: float = 2.0
    requests: list[Seen] = field(default_factory=list)
    payments: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_transaction_id: dict[str, int] = field(default_factory=dict)
    submitted: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    receipts: dict[int, str] = field(default_factory=dict)
    reads_since_submit: dict[int, int] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(4567891234))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, method: str | None = None) -> list[str]:
        return [seen.path for seen in self.requests if method is None or seen.method == method]

    def calls(self, fragment: str) -> list[Seen]:
        return [seen for seen in self.requests if fragment in seen.path]


def receipt_url(payment_id: int) -> str:
    return (
        f"https://ofd.soliq.uz/check?t=UZ191211502034&r={payment_id % 100000}"
        f"&c=20260115140330&s=461218925470"
    )


def _auth_ok(value: str) -> bool:
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != USER_ID or not parts[2].isdigit() or len(parts[2]) != 10:
        return False
    if abs(int(parts[2]) - time.time()) > 300:
        return False
    expected = hashlib.sha1(f"{parts[2]}{SECRET}".encode(), usedforsecurity=False).hexdigest()
    return hmac.compare_digest(expected, parts[1])


class _Handler(BaseHTTPRequestHandler):
    state: ClickMerchantState

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _slow(self) -> None:
        time.sleep(self.state.slow_seconds)
        self._send(200, {"error_code": 0, "error_note": "late"})

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        state = self.state
        path = self.path[len(BASE_PATH) :] if self.path.startswith(BASE_PATH) else self.path
        with state.lock:
            state.requests.append(Seen(self.command, path, dict(self.headers), body))
        if not _auth_ok(self.headers.get("Auth", "")):
            self._send(401, {"error_code": -1, "error_note": "Authorization failed"})
            return
        if self.headers.get("Accept") != "application/json":
            self._send(406, {"error_code": -2, "error_note": "Not acceptable"})
            return
        parts = path.strip("/").split("/")
        if self.command == "POST" and path == "/click_pass/payment":
            self._pass_payment(body)
        elif self.command == "POST" and path == "/click_pass/confirm":
            self._send(200, {"error_code": 0, "error_note": "Success"})
        elif self.command == "GET" and parts[:2] == ["payment", "status"] and len(parts) == 4:
            self._status(int(parts[3]))
        elif self.command == "GET" and parts[:2] == ["payment", "status_by_mti"]:
            self._status_by_mti(parts[3])
        elif self.command == "DELETE" and parts[:2] == ["payment", "reversal"]:
            self._reversal(int(parts[3]))
        elif self.command == "POST" and path == "/payment/ofd_data/submit_items":
            self._submit(body)
        elif self.command == "GET" and parts[:2] == ["payment", "ofd_data"] and len(parts) == 4:
            self._ofd_data(int(parts[3]))
        else:
            self._send(404, {"error_code": -404, "error_note": "Not found"})

    def _pass_payment(self, body: Any) -> None:
        state = self.state
        mode = state.pass_mode
        if mode == "500":
            self._send(500, {"error_code": -500, "error_note": "API fault"})
            return
        if not isinstance(body, dict) or not isinstance(body.get("service_id"), int):
            self._send(400, {"error_code": -8, "error_note": "Bad request"})
            return
        if mode == "declined":
            self._send(200, {"error_code": -5017, "error_note": "Insufficient funds"})
            return
        with state.lock:
            payment_id = next(state.ids)
            status = 2 if mode == "paid" else 1
            state.payments[payment_id] = {"status": status, "amount": body.get("amount")}
            state.by_transaction_id[str(body.get("transaction_id"))] = payment_id
        if mode == "timeout":
            self._slow()
            return
        self._send(
            200,
            {
                "error_code": 0,
                "error_note": "Success",
                "payment_id": payment_id,
                "payment_status": status,
                "confirm_mode": state.confirm_mode,
                "card_type": "private",
                "processing_type": "UZCARD",
                "card_number": "860049******1234",
                "phone_number": "998901234567",
            },
        )

    def _next_status(self) -> Any:
        answers = self.state.status_answers
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def _status(self, payment_id: int) -> None:
        with self.state.lock:
            known = self.state.payments.get(payment_id)
            answer = self._next_status()
        if answer == "500":
            self._send(500, {"error_code": -500, "error_note": "API fault"})
        elif answer == "timeout":
            self._slow()
        elif known is None:
            self._send(200, {"error_code": -16, "error_note": "Payment not found"})
        else:
            known["status"] = answer
            self._send(
                200,
                {
                    "error_code": 0,
                    "error_note": "Success",
                    "payment_id": payment_id,
                    "payment_status": answer,
                },
            )

    def _status_by_mti(self, transaction_id: str) -> None:
        payment_id = self.state.by_transaction_id.get(transaction_id)
        if payment_id is None:
            self._send(200, {"error_code": -16, "error_note": "Payment not found"})
            return
        self._status(payment_id)

    def _reversal(self, payment_id: int) -> None:
        mode = self.state.reversal_mode
        if mode == "500":
            self._send(500, {"error_code": -500, "error_note": "API fault"})
        elif mode == "declined" or payment_id not in self.state.payments:
            self._send(200, {"error_code": -5020, "error_note": "Reversal is not allowed"})
        else:
            self.state.payments[payment_id]["status"] = -1
            self._send(200, {"error_code": 0, "error_note": "Success", "payment_id": payment_id})

    def _submit(self, body: Any) -> None:
        state = self.state
        if state.submit_mode == "500":
            self._send(500, {"error_code": -500, "error_note": "API fault"})
            return
        if state.submit_mode == "declined":
            self._send(200, {"error_code": -31, "error_note": "Invalid SPIC"})
            return
        if not isinstance(body, dict) or type(body.get("payment_id")) is not int:
            self._send(400, {"error_code": -8, "error_note": "Bad request"})
            return
        payment_id = body["payment_id"]
        with state.lock:
            state.submitted.setdefault(payment_id, []).append(body)
            state.reads_since_submit[payment_id] = 0
        if state.submit_mode == "timeout":
            self._slow()
            return
        self._send(200, {"error_code": 0, "error_note": "Success"})

    def _ofd_data(self, payment_id: int) -> None:
        state = self.state
        with state.lock:
            if state.ofd_faults > 0:
                state.ofd_faults -= 1
                fault = True
            else:
                fault = False
                if payment_id in state.submitted and payment_id not in state.receipts:
                    reads = state.reads_since_submit[payment_id]
                    state.reads_since_submit[payment_id] = reads + 1
                    if reads >= state.ofd_ready_after:
                        state.receipts[payment_id] = receipt_url(payment_id)
                url = state.receipts.get(payment_id)
        if fault:
            self._send(500, {"error_code": -500, "error_note": "API fault"})
        elif url:
            self._send(200, {"paymentId": payment_id, "qrCodeURL": url})
        else:
            self._send(200, {"paymentId": payment_id, "qrCodeURL": None})

    do_GET = _handle
    do_POST = _handle
    do_DELETE = _handle


@dataclass
class ClickMerchantServer:
    url: str
    state: ClickMerchantState


@contextmanager
def click_merchant_server() -> Iterator[ClickMerchantServer]:
    state = ClickMerchantState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ClickMerchantServer(f"http://127.0.0.1:{server.server_port}{BASE_PATH}", state)
    finally:
        server.shutdown()
        server.server_close()
