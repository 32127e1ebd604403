"""The machinery every gateway scenario shares: the HTTP caller, the step, the run.

A scenario is a list of ``Step``s, each a name and a function of the ``Run``. The function makes
one (or a few) real HTTP calls to the hub's receive URL, as the gateway would, and raises
``Mismatch`` when the answer is not what the gateway's spec table says, ``NoAnswer`` when none
came (refused, timed out, reset). Steps share what they learn (an id the hub minted) through
``Run.values``; a step that needs a value an earlier step failed to deliver raises ``Missing``.

The run creates the scenario's invoices (order ids ``gwcheck-…``) through the payments services,
and in the end cancels every one still payable, also when a step or the run itself failed: a
check never leaves a payable invoice behind.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from integrations.models import Integration
from integrations.redaction import REDACTED, redact
from integrations.services import integration_secret_values
from payments.models import InvoiceStatus, PaymentInvoice
from payments.services import invoice_cancel, invoice_create

logger = logging.getLogger(__name__)

ORDER_PREFIX = "gwcheck-"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_SECONDS = 10.0
# What a FAIL line shows of an answer: enough to read the error, never a page of HTML.
_EXCERPT_CHARS = 300


class Mismatch(Exception):
    """The answer is not the one the spec expects."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"expected {expected}; got {got}")
        self.expected = expected
        self.got = got


class NoAnswer(Exception):
    """No HTTP answer at all: the connection was refused, reset or timed out."""


class Missing(Exception):
    """A value an earlier step should have delivered (its answer was wrong)."""


@dataclass
class Answer:
    """One HTTP answer: status, the parsed JSON (``None`` when the body is not JSON) and the
    body's text for the report."""

    status: int
    json: Any
    text: str
    is_json: bool


@dataclass
class Step:
    name: str
    run: Callable[[Run], None]


@dataclass
class StepResult:
    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: ok" if self.ok else f"{self.name}: FAIL {self.detail}"


@dataclass
class Report:
    results: list[StepResult] = field(default_factory=list)
    not_run: int = 0
    cleanup: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for result in self.results if result.ok)

    @property
    def failed(self) -> int:
        return sum(1 for result in self.results if not result.ok)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.not_run == 0

    def summary(self) -> str:
        text = f"{self.passed} passed, {self.failed} failed"
        if self.not_run:
            text += f", {self.not_run} not run (the server stopped answering)"
        return text


def basic_auth(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


class Run:
    """One run of a scenario against one integration: the caller, the invoices, shared values."""

    def __init__(
        self,
        *,
        integration: Integration,
        base_url: str,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.integration = integration
        self.config = integration.typed_config
        self.url = f"{base_url.rstrip('/')}/api/webhooks/receive/{integration.code}"
        self.timeout = timeout
        self.session = session or requests.Session()
        self.values: dict[str, Any] = {}
        self.invoices: list[PaymentInvoice] = []
        self.run_id = secrets.token_hex(4)
        self._secrets = [value for value in integration_secret_values(integration) if value]

    # --- credentials ---------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.integration.api_key or ""

    @property
    def api_secret(self) -> str:
        return self.integration.api_secret or ""

    def remember_secret(self, *values: str) -> None:
        """Values (an Authorization header) to cut out of everything the report shows; of a
        header, its encoded credentials alone too (a server may echo just those)."""
        for value in values:
            if value:
                self._secrets.append(value)
                self._secrets.append(value.partition(" ")[2])

    # --- invoices ------------------------------------------------------------------------

    def invoice(self, amount: int, *, label: str) -> PaymentInvoice:
        """A fresh pending invoice for this run (``gwcheck-<provider>-<run>-<label>``)."""
        invoice = invoice_create(
            order_id=f"{ORDER_PREFIX}{self.integration.provider}-{self.run_id}-{label}",
            amount=amount,
            description=f"gateway_check of {self.integration.code}",
        )
        self.invoices.append(invoice)
        return invoice

    def invoice_status(self, invoice: PaymentInvoice) -> str:
        invoice.refresh_from_db(fields=["status"])
        return str(invoice.status)

    def expect_invoice(self, invoice: PaymentInvoice, status: str) -> None:
        """The invoice, as the hub stored it, has this status now."""
        current = self.invoice_status(invoice)
        if current != status:
            raise Mismatch(f"invoice {invoice.order_id} {status}", f"invoice {current}")

    def cleanup(self) -> list[str]:
        """Cancel every invoice of the run still payable; one line per invoice."""
        lines = []
        for invoice in self.invoices:
            try:
                status = self.invoice_status(invoice)
                if status == InvoiceStatus.PENDING:
                    invoice_cancel(invoice=invoice)
                    status = self.invoice_status(invoice)
            except Exception as error:  # cleanup of one must not stop the rest
                logger.exception("gateway_check: cleanup of %s failed", invoice.order_id)
                status = f"not cancelled ({type(error).__name__})"
            lines.append(f"{invoice.order_id}: {status}")
        return lines

    # --- HTTP ----------------------------------------------------------------------------

    def call(
        self,
        suffix: str = "",
        *,
        method: str = "POST",
        json_body: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One real HTTP call to the receive URL (plus ``suffix``); NoAnswer when none came."""
        sent_headers = dict(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body)
            content_type = content_type or "application/json"
        if content_type:
            sent_headers["Content-Type"] = content_type
        try:
            response = self.session.request(
                method,
                self.url + suffix,
                data=body,
                headers=sent_headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise NoAnswer(f"no answer within {self.timeout:g} s") from None
        except requests.ConnectionError as error:
            raise NoAnswer(_connection_reason(error)) from None
        except requests.RequestException as error:
            raise NoAnswer(f"the call failed ({type(error).__name__})") from None
        text = response.content.decode("utf-8", errors="replace")
        try:
            parsed, is_json = json.loads(text), True
        except ValueError:
            parsed, is_json = None, False
        return Answer(status=response.status_code, json=parsed, text=text, is_json=is_json)

    def shown(self, answer: Answer) -> str:
        """``HTTP <status> <body excerpt>`` with every credential cut out."""
        if answer.is_json:
            body = json.dumps(
                redact(answer.json, secrets=self._secrets), ensure_ascii=False, sort_keys=True
            )
        else:
            body = redact(answer.text, secrets=self._secrets).strip() or "(empty body)"
            body = "non-JSON body " + json.dumps(body[:_EXCERPT_CHARS], ensure_ascii=False)
        if len(body) > _EXCERPT_CHARS:
            body = body[:_EXCERPT_CHARS] + "…"
        return f"HTTP {answer.status} {body}"

    def scrub(self, text: str) -> str:
        scrubbed: str = redact(text, secrets=self._secrets)
        return scrubbed

    # --- expectations --------------------------------------------------------------------

    def need(self, name: str) -> Any:
        """A value an earlier step stored; Missing when that step did not get it."""
        if name not in self.values:
            raise Missing(name)
        return self.values[name]

    def expect_status(self, answer: Answer, status: int) -> None:
        if answer.status != status:
            raise Mismatch(f"HTTP {status}", self.shown(answer))

    def expect_object(self, answer: Answer, *, status: int, what: str) -> dict[str, Any]:
        """The answer's JSON object, when the status is ``status``; else Mismatch(what)."""
        if answer.status != status or not isinstance(answer.json, dict):
            raise Mismatch(f"HTTP {status} with {what}", self.shown(answer))
        body: dict[str, Any] = answer.json
        return body

    def fail(self, expected: str, answer: Answer) -> Mismatch:
        return Mismatch(expected, self.shown(answer))


def _connection_reason(error: requests.ConnectionError) -> str:
    text = str(error)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Read timed out" in text or "timed out" in text:
        return "no answer (timed out)"
    if "Name or service not known" in text or "NameResolutionError" in text:
        return "the host name does not resolve"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "reset" in text:
        return "the server closed the connection without an answer"
    return "no connection"


def run_steps(run: Run, steps: list[Step], *, write: Callable[[str], None]) -> Report:
    """Run the steps in order, writing one line per step as it ends. Once the server gives no
    answer at all, the rest are not run: each would wait out the same timeout."""
    report = Report()
    for index, step in enumerate(steps):
        try:
            step.run(run)
            result = StepResult(step.name, ok=True)
        except Mismatch as mismatch:
            result = StepResult(
                step.name,
                ok=False,
                detail=f"expected {mismatch.expected}; got {run.scrub(mismatch.got)}",
            )
        except Missing:
            result = StepResult(
                step.name,
                ok=False,
                detail="not checked: it builds on an earlier step that failed",
            )
        except NoAnswer as no_answer:
            result = StepResult(step.name, ok=False, detail=f"{no_answer} from {run.url}")
            report.results.append(result)
            write(result.line())
            report.not_run = len(steps) - index - 1
            break
        except Exception as error:  # a report line, never a traceback
            logger.exception("gateway_check: step %r raised", step.name)
            result = StepResult(
                step.name, ok=False, detail=f"the answer could not be read ({type(error).__name__})"
            )
        report.results.append(result)
        write(result.line())
    return report


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT_SECONDS",
    "ORDER_PREFIX",
    "REDACTED",
    "Answer",
    "Mismatch",
    "Missing",
    "NoAnswer",
    "Report",
    "Run",
    "Step",
    "StepResult",
    "basic_auth",
    "run_steps",
]
