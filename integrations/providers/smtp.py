"""E-mail over SMTP as an alert channel (``provider: "smtp"``, gateways.md section 6).

``api_endpoint`` is ``smtp://host:port`` (STARTTLS when the server offers it and
``config.starttls`` is not false) or ``smtps://host:port`` (TLS from the start); ``api_key`` and
``api_secret`` are the login when set; ``config.from`` the sender and ``config.to`` the
recipients. Django's e-mail machinery sends: an ``EmailMessage`` over a connection made for this
integration. Every send writes an outbound integration log (never the password).
"""

from __future__ import annotations

import smtplib
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from integrations.http import IntegrationHttpClient
from integrations.log_entries import integration_log_create
from integrations.models import Integration, LogDirection
from integrations.outbound import OutboundAddressDenied, checked_addresses
from integrations.providers.base import (
    ChannelError,
    ConnectionTestResult,
    Provider,
    send_test_message,
)


class _SmtpBackend(EmailBackend):
    """Django's SMTP backend with STARTTLS taken when the server offers it (Django's
    ``use_tls`` insists on it), which is what ``smtp://`` means here."""

    def __init__(self, *, opportunistic_tls: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opportunistic_tls = opportunistic_tls
        self.tls_used = False

    def open(self) -> bool:
        if self.connection:
            return False
        params: dict[str, Any] = {"local_hostname": socket.gethostname(), "timeout": self.timeout}
        if self.use_ssl:
            params["context"] = self.ssl_context
        self.connection = self.connection_class(self.host, self.port, **params)
        self.tls_used = self.use_ssl
        if not self.use_ssl and self.opportunistic_tls:
            self.connection.ehlo_or_helo_if_needed()
            if self.connection.has_extn("starttls"):
                self.connection.starttls(context=self.ssl_context)
                self.connection.ehlo()
                self.tls_used = True
        if self.username and self.password:
            self.connection.login(self.username, self.password)
        return True


def _server(integration: Integration) -> tuple[str, str, int]:
    """(scheme, host, port) of ``api_endpoint``; ChannelError when it names no server."""
    if not integration.api_endpoint:
        raise ChannelError("api_endpoint is not set (smtp://host:port or smtps://host:port)")
    parts = urlsplit(integration.api_endpoint)
    try:
        port = parts.port
    except ValueError:
        raise ChannelError("api_endpoint has an invalid port") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ChannelError("api_endpoint must be smtp://host:port or smtps://host:port")
    return parts.scheme, parts.hostname, port or (465 if parts.scheme == "smtps" else 25)


def _smtp_error(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the login was refused ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"every recipient was refused: {', '.join(sorted(error.recipients))}"
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"SMTP {error.smtp_code}: {text}"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timed out"
    return f"{type(error).__name__}: the connection failed"


class Smtp(Provider):
    can_test = True
    can_notify = True

    def send_message(
        self, integration: Integration, client: IntegrationHttpClient, *, subject: str, text: str
    ) -> None:
        config = integration.typed_config
        scheme, host, port = _server(integration)
        if not config.sender:
            raise ChannelError("config.from is not set", permanent=True)
        if not config.recipients:
            raise ChannelError("config.to lists no address", permanent=True)
        endpoint = f"SMTP {scheme}://{host}:{port}"
        request = {"from": config.sender, "to": list(config.recipients), "subject": subject}
        if integration.api_key:
            request["login"] = integration.api_key
        started = time.monotonic()
        error_message: str | None = None
        permanent = False
        backend = _SmtpBackend(
            host=host,
            port=port,
            username=integration.api_key or None,
            password=integration.api_secret or None,
            use_ssl=scheme == "smtps",
            use_tls=False,
            timeout=config.timeout_seconds,
            fail_silently=False,
            opportunistic_tls=scheme == "smtp" and config.starttls,
        )
        try:
            checked_addresses(host, port)  # OUTBOUND_DENY_NETWORKS holds for mail servers too
            message = EmailMessage(
                subject=subject,
                body=text,
                from_email=config.sender,
                to=list(config.recipients),
                connection=backend,
            )
            message.send(fail_silently=False)
        except OutboundAddressDenied as error:
            error_message, permanent = str(error), True
        except (smtplib.SMTPException, OSError) as error:
            error_message = _smtp_error(error)
            permanent = isinstance(
                error, (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused)
            )
        finally:
            backend.close()
        integration_log_create(
            integration=integration,
            action="send_message",
            direction=LogDirection.OUTBOUND,
            endpoint=endpoint,
            request_data={**request, "tls": backend.tls_used},
            response_data={"accepted": error_message is None},
            status_code=None if error_message else 250,
            duration_ms=int((time.monotonic() - started) * 1000),
            error_message=error_message,
        )
        if error_message:
            raise ChannelError(f"{endpoint}: {error_message}", permanent=permanent)

    def test_connection(
        self, integration: Integration, client: IntegrationHttpClient
    ) -> ConnectionTestResult:
        return send_test_message(self, integration, client, started=time.monotonic())
