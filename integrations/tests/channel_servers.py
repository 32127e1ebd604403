"""Local servers that speak the alert channels' protocols, for tests.

- ``TelegramServer``: the Bot API's ``/bot<token>/getMe`` and ``/bot<token>/sendMessage``; a
  wrong token is 401 as Telegram answers it; scripted answers (429 with
  ``parameters.retry_after``, 500) replace the next ones; every message is recorded.
- ``EskizServer``: ``auth/login`` (form e-mail and password), ``PATCH auth/refresh``,
  ``message/sms/send`` with a Bearer token; a token can be revoked (401: log in again).
- ``SmtpServer``: aiosmtpd with AUTH LOGIN/PLAIN checked, recording each mail.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "123456789:AAH-secret-bot-token-xyzXYZ0123456789"
ESKIZ_EMAIL = "ops@vendhub.uz"
ESKIZ_PASSWORD = "eskiz-password-S3cret!"
SMTP_USER = "alerts@vendhub.uz"
SMTP_PASSWORD = "smtp-password-S3cret!"


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class _Base:
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, status: int, body: dict[str, Any], *, times: int = 1) -> None:
        """Answer the next ``times`` requests with this instead of the real answer."""
        with self.lock:
            self.scripted.extend([(status, body)] * times)

    def _scripted(self) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            return self.scripted.pop(0) if self.scripted else None

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError


def _handler(server: _Base) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = server.handle(method, self.path, self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def _running(server: _Base) -> Iterator[Any]:
    http = _Server(("127.0.0.1", 0), _handler(server))
    server.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()


@dataclass
class TelegramServer(_Base):
    token: str = BOT_TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        self.requests.append({"method": method, "path": path})
        parts = urlsplit(path).path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if parts[0][3:] != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if (scripted := self._scripted()) is not None:
            return scripted
        if parts[1] == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "vendhub_bot"}}
        if parts[1] == "sendMessage" and method == "POST":
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = None
            if (
                not isinstance(payload, dict)
                or not payload.get("chat_id")
                or not payload.get("text")
            ):
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: chat_id and text are required",
                }
            with self.lock:
                self.messages.append(payload)
            return 200, {"ok": True, "result": {"message_id": len(self.messages)}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def texts(self) -> list[str]:
        with self.lock:
            return [str(message["text"]) for message in self.messages]


@contextmanager
def telegram_server(**kwargs: Any) -> Iterator[TelegramServer]:
    with _running(TelegramServer(**kwargs)) as server:
        yield server


@dataclass
class StatusServer(_Base):
    """Any path answers ``status`` (an integration under test that works, then fails)."""

    status: int = 200

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        self.requests.append({"method": method, "path": path})
        return self.status, {"status": self.status}


@contextmanager
def status_server(**kwargs: Any) -> Iterator[StatusServer]:
    with _running(StatusServer(**kwargs)) as server:
        yield server


@dataclass
class EskizServer(_Base):
    email: str = ESKIZ_EMAIL
    password: str = ESKIZ_PASSWORD
    tokens: set[str] = field(default_factory=set)
    # Every token ever handed out (revoked ones too), for the leak scans.
    issued: list[str] = field(default_factory=list)
    logins: int = 0
    refreshes: int = 0
    sms: list[dict[str, str]] = field(default_factory=list)
    # Headers of every request, to show that no credential travels where it should not.
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def _new_token(self) -> str:
        token = "eyJ" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.issued.append(token)
        return token

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        route = urlsplit(path).path
        self.requests.append({"method": method, "path": route})
        self.seen_headers.append(dict(headers))
        form = dict(parse_qsl(body.decode()))
        bearer = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if route == "/api/auth/login" and method == "POST":
            if form.get("email") != self.email or form.get("password") != self.password:
                return 401, {"message": "Incorrect email or password"}
            self.logins += 1
            return 200, {"message": "token_generated", "data": {"token": self._new_token()}}
        if bearer not in self.tokens:
            return 401, {"message": "Expired or invalid token"}
        if route == "/api/auth/refresh" and method == "PATCH":
            self.refreshes += 1
            return 200, {"message": "token_updated", "data": {"token": self._new_token()}}
        if route == "/api/message/sms/send" and method == "POST":
            if (scripted := self._scripted()) is not None:
                return scripted
            if not form.get("mobile_phone", "").isdigit() or not form.get("message"):
                return 422, {"message": "mobile_phone and message are required"}
            with self.lock:
                self.sms.append(form)
            return 200, {
                "id": secrets.token_hex(8),
                "message": "Waiting for SMS provider",
                "status": "waiting",
            }
        return 404, {"message": "Not found"}


@contextmanager
def eskiz_server(**kwargs: Any) -> Iterator[EskizServer]:
    with _running(EskizServer(**kwargs)) as server:
        yield server


@dataclass
class SmtpServer:
    port: int = 0
    mails: list[Message] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def texts(self) -> list[str]:
        texts = []
        for mail in self.mails:
            payload = mail.get_payload(decode=True)
            texts.append(payload.decode() if isinstance(payload, bytes) else str(payload))
        return texts


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl for the TLS tests."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def smtp_server(
    *,
    require_login: bool = True,
    certificate: tuple[Path, Path] | None = None,
    implicit_tls: bool = False,
) -> Iterator[SmtpServer]:
    """aiosmtpd on a free port; with ``certificate`` it offers STARTTLS, or speaks TLS from
    the first byte with ``implicit_tls`` (smtps)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    recorder = SmtpServer()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            recorder.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos)})
            recorder.mails.append(message_from_bytes(envelope.original_content))
            return "250 Message accepted"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword) and (
            data.login.decode() == SMTP_USER and data.password.decode() == SMTP_PASSWORD
        ):
            recorder.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    with socket.socket() as probe:  # aiosmtpd checks it is up by connecting: a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tls: dict[str, Any] = {}
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        tls = {"ssl_context": context} if implicit_tls else {"tls_context": context}
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=require_login,
        auth_require_tls=False,
        **tls,
    )
    controller.start()
    recorder.port = port
    try:
        yield recorder
    finally:
        controller.stop()
