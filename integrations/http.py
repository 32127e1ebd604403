"""The one outbound HTTP client every provider uses.

It owns what each provider would otherwise get slightly wrong: the timeout from ``config.timeout``
(milliseconds, default 30000), retries of transient failures (connection errors, timeouts, 429 and
5xx) with exponential backoff that honours ``Retry-After``, and one IntegrationLog per attempt with
credentials redacted. Permanent failures (other 4xx) are returned at once, never retried.
Every connection is checked against ``OUTBOUND_DENY_NETWORKS`` (``integrations.outbound``); a
refused one is a permanent failure whose message names the rule. Redirects are not followed: a
3xx is the answer, so a ``Location`` never leads the hub to an address nobody checked.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from integrations.log_entries import integration_log_build
from integrations.models import Integration, IntegrationLog, LogDirection
from integrations.outbound import OutboundAddressDenied, guarded_session
from integrations.redaction import REDACTED, UrlCredentialFilter
from integrations.selectors import integration_secret_values

logger = logging.getLogger(__name__)
# urllib3 logs every request's URL at DEBUG: a bot token in a path must not go with it.
logging.getLogger("urllib3.connectionpool").addFilter(UrlCredentialFilter())

MAX_BACKOFF_SECONDS = 60.0
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_LOGGED_BODY_CHARS = 64 * 1024
# Items of a list kept in the log of an answer too large to log whole.
_LOGGED_LIST_ITEMS = 20
# How often a retry wait looks at ``should_stop``.
_STOP_CHECK_SECONDS = 0.5
# Headers whose whole value is a credential although their name does not say so (Click's
# merchant API signs each call in ``Auth: <user>:<digest>:<timestamp>``).
_CREDENTIAL_HEADERS = frozenset({"auth"})


_pooled = threading.local()


def pooled_session() -> requests.Session:
    """This thread's long-lived guarded session, for callers that send many small requests to
    the same few hosts (the webhook forward): connections are kept alive and reused, instead of
    a TCP handshake per call. Every connection it opens still goes through the deny-list (the
    check is made when a connection is opened, and a reused one goes to the address checked
    then). One per thread, as a ``requests.Session`` is not thread-safe, and a new one after a
    fork, so parent and child never share a socket."""
    session: requests.Session | None = getattr(_pooled, "session", None)
    if session is None or getattr(_pooled, "pid", None) != os.getpid():
        session = guarded_session()
        _pooled.session, _pooled.pid = session, os.getpid()
    return session


def _headers_for_log(headers: dict[str, str] | None) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in _CREDENTIAL_HEADERS else value
        for name, value in (headers or {}).items()
    }


def _save_log(log: IntegrationLog) -> None:
    log.save(force_insert=True)


class HttpError(Exception):
    """A call that got no usable answer; ``status_code`` is None when no answer came at all."""

    def __init__(self, message: str, *, status_code: int | None = None, transient: bool) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.transient = transient


@dataclass
class HttpResult:
    response: requests.Response
    duration_ms: int
    attempts: int

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def ok(self) -> bool:
        return 200 <= self.response.status_code < 300


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """The server's ``Retry-After`` (seconds or an HTTP date), if it sent one."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def backoff_seconds(attempt: int, *, base: float, response: requests.Response | None) -> float:
    """Wait before attempt ``attempt + 1``: Retry-After if sent, else base·2^(attempt-1) ± 25%."""
    advised = retry_after_seconds(response)
    if advised is not None:
        return min(advised, MAX_BACKOFF_SECONDS)
    delay: float = base * (2 ** (attempt - 1))
    return min(delay * random.uniform(0.75, 1.25), MAX_BACKOFF_SECONDS)


def basic_auth_header(username: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value from UTF-8 bytes (RFC 7617's charset), which 1C
    expects for Cyrillic user names; requests' HTTPBasicAuth would encode them as Latin-1."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _first_items(data: Any) -> Any:
    """A large JSON answer (a sync page of hundreds of records) with each long list cut to its
    first items: the log keeps a valid, readable sample instead of 64 KiB of broken text, and
    redacting it costs a fraction of redacting the whole page."""
    if isinstance(data, dict):
        return {key: _first_items(value) for key, value in data.items()}
    if isinstance(data, list) and len(data) > _LOGGED_LIST_ITEMS:
        rest = f"... {len(data) - _LOGGED_LIST_ITEMS} more items not logged"
        return [_first_items(item) for item in data[:_LOGGED_LIST_ITEMS]] + [rest]
    if isinstance(data, list):
        return [_first_items(item) for item in data]
    return data


def response_json(response: requests.Response) -> Any:
    """``response.json()``, parsed once: the log of the answer and its reader (a sync page of a
    thousand records) share one parse. Raises ValueError for a body that is not JSON."""
    parsed = getattr(response, "_vendhub_json", _UNPARSED)
    if parsed is _UNPARSED:
        parsed = response.json()
        response._vendhub_json = parsed  # type: ignore[attr-defined]
    return parsed


_UNPARSED = object()


def _response_for_log(response: requests.Response) -> dict[str, Any]:
    content_type = response.headers.get("Content-Type", "")
    body: Any
    if "json" in content_type:
        try:
            body = response_json(response)
        except ValueError:
            body = response.text[:_LOGGED_BODY_CHARS]
        else:
            if len(response.content) > _LOGGED_BODY_CHARS:
                body = _first_items(body)
    else:
        body = response.text[:_LOGGED_BODY_CHARS]
    return {"headers": dict(response.headers), "body": body}


class IntegrationHttpClient:
    """``client.request("GET", url, action="sync_page")`` for one integration."""

    def __init__(
        self,
        integration: Integration,
        *,
        retries: int | None = None,
        backoff_base: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        log_metadata: dict[str, Any] | None = None,
        session: requests.Session | None = None,
        write_log: Callable[[IntegrationLog], None] | None = None,
    ) -> None:
        self.integration = integration
        # Decrypted once per client (a sync job's pages share one), for scrubbing the logs.
        self._secrets = integration_secret_values(integration)
        # Added to every log entry, e.g. the sync job a page belongs to.
        self.log_metadata = dict(log_metadata or {})
        config = integration.typed_config
        self.retries = retries if retries is not None else config.http_retries
        self.backoff_base = backoff_base
        # Every connection is checked against OUTBOUND_DENY_NETWORKS (see integrations.outbound).
        self.session = session if session is not None else guarded_session()
        # Each attempt's log entry, redacted and built, goes here: saved at once by default; a
        # caller may write it together with its own outcome (the forward, with the webhook's).
        self.write_log = write_log or _save_log
        self.sleep = sleep
        self.timeout = config.timeout_seconds
        # Requests sent (each one logged), over every call of this client.
        self.attempts_made = 0

    def add_secret(self, value: str | None) -> None:
        """Scrub ``value`` from this client's logs too: a credential the provider obtained
        itself (a token it logged in for), not one of the integration's stored secrets."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def request(
        self,
        method: str,
        url: str,
        *,
        action: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        auth: Any = None,
        log_request_body: Any = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> HttpResult:
        """Send with retries. Returns the last response (any status); raises HttpError when
        no answer came after the last attempt. ``log_request_body`` replaces the body in the log."""
        attempt = 0
        started = time.monotonic()
        while True:
            attempt += 1
            response, error, retryable = self._attempt(
                method,
                url,
                action=action,
                headers=headers,
                params=params,
                json=json,
                data=data,
                auth=auth,
                log_request_body=log_request_body,
                attempt=attempt,
            )
            transient = (error is not None and retryable) or (
                response is not None and response.status_code in TRANSIENT_STATUSES
            )
            if not transient or attempt > self.retries or (should_stop and should_stop()):
                break
            delay = backoff_seconds(attempt, base=self.backoff_base, response=response)
            if self._wait(delay, should_stop):
                break
        duration_ms = int((time.monotonic() - started) * 1000)
        if response is None:
            raise HttpError(error or "no answer", status_code=None, transient=retryable)
        return HttpResult(response=response, duration_ms=duration_ms, attempts=attempt)

    def _wait(self, seconds: float, should_stop: Callable[[], bool] | None) -> bool:
        """Sleep before a retry in short slices, so a cancelled sync does not sit out a long
        Retry-After; True when ``should_stop`` asked to give up."""
        if should_stop is None:
            self.sleep(seconds)
            return False
        remaining = seconds
        while remaining > 0:
            step = min(remaining, _STOP_CHECK_SECONDS)
            self.sleep(step)
            remaining -= step
            if should_stop():
                return True
        return False

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        action: str,
        headers: dict[str, str] | None,
        params: dict[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        auth: Any,
        log_request_body: Any,
        attempt: int,
    ) -> tuple[requests.Response | None, str | None, bool]:
        """One request, logged; ``(response, error, retryable)``, where a refusal by the
        deny-list is not retryable."""
        started = time.monotonic()
        response: requests.Response | None = None
        error: str | None = None
        retryable = True
        self.attempts_made += 1
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json,
                data=data,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except OutboundAddressDenied as exc:
            error = str(exc)
            retryable = False
            logger.warning("outbound %s %s refused: %s", method, action, exc)
        except requests.Timeout:
            error = f"timed out after {self.timeout:.1f}s"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: connection failed"
            logger.info("outbound %s %s failed: %s", method, action, type(exc).__name__)
        duration_ms = int((time.monotonic() - started) * 1000)
        sent_url = response.request.url if response is not None and response.request else url
        body = (
            log_request_body
            if log_request_body is not None
            else (json if json is not None else data)
        )
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        log = integration_log_build(
            integration=self.integration,
            secrets=self._secrets,
            action=action,
            direction=LogDirection.OUTBOUND,
            endpoint=f"{method} {sent_url}",
            request_data={
                "headers": _headers_for_log(headers),
                "params": params or {},
                "body": body,
            },
            response_data=_response_for_log(response) if response is not None else {},
            status_code=response.status_code if response is not None else None,
            duration_ms=duration_ms,
            error_message=error
            or (
                None
                if response is None or response.status_code < 400
                else f"HTTP {response.status_code}"
            ),
            metadata={**self.log_metadata, "attempt": attempt},
        )
        self.write_log(log)
        return response, error, retryable
