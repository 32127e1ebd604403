"""The one client of Click's merchant API (hub → Click), used by Click Pass and Click's fiscal
receipts (``gateways.md`` sections 3 to 5).

Every call goes through the hub's outbound client (``integrations.http``: timeouts, the
deny-list, one redacted IntegrationLog per request; the ``Auth`` header is logged as
``[REDACTED]``). Nothing is retried here: a charge or a receipt submission sent twice could
charge or register twice, so the callers decide what a missing answer means.

Money crosses this boundary in so'm for payment calls (``amount``, a number with two decimals)
and stays in tiyin everywhere else, fiscal calls included: ``soums_text`` is the only conversion.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from integrations.http import HttpError, IntegrationHttpClient, response_json
from integrations.models import Integration

# Statuses Click documents for a payment (``payment_status``).
PAYMENT_CREATED = 0
PAYMENT_PROCESSING = 1
PAYMENT_SUCCESSFUL = 2

_AMOUNT_MARK = "__click_amount__"


def click_auth_header(*, merchant_user_id: str, secret_key: str, timestamp: int) -> str:
    """``<merchant_user_id>:sha1(timestamp + secret_key):<timestamp>``; timestamp first."""
    digest = hashlib.sha1(f"{timestamp}{secret_key}".encode(), usedforsecurity=False).hexdigest()
    return f"{merchant_user_id}:{digest}:{timestamp}"


def soums_text(tiyin: int) -> str:
    """Tiyin as Click's payment calls write so'm: a plain number with two decimals."""
    whole, cents = divmod(tiyin, 100)
    return f"{whole}.{cents:02d}"


class ClickMerchantNoAnswer(Exception):
    """No usable answer: no connection, a timeout, a 5xx, or a body that is not a JSON object.
    Whether Click acted on the request is unknown."""


@dataclass(frozen=True)
class ClickMerchantAnswer:
    """An answer Click gave (any 2xx or 4xx with a JSON object body)."""

    http_status: int
    body: dict[str, Any]

    @property
    def error_code(self) -> int | None:
        value = self.body.get("error_code")
        return value if type(value) is int else None

    @property
    def succeeded(self) -> bool:
        """Only an explicit ``error_code == 0`` on a 2xx is a success."""
        return 200 <= self.http_status < 300 and self.error_code == 0

    @property
    def refused(self) -> bool:
        """Click said no: a non-zero ``error_code``, or a 4xx (the request was not processed)."""
        if 400 <= self.http_status < 500:
            return True
        return self.error_code is not None and self.error_code != 0

    @property
    def error_note(self) -> str:
        note = self.body.get("error_note")
        if isinstance(note, str):
            return note
        if self.http_status >= 400:
            return f"HTTP {self.http_status}"
        return ""


class ClickMerchantClient:
    """Click's merchant API for one Click integration (``config.merchant_api_url``,
    ``config.merchant_user_id``, ``config.service_id``; the secret key is ``api_secret``)."""

    def __init__(self, integration: Integration, *, clock: Any = time.time) -> None:
        self.integration = integration
        config = integration.typed_config
        self.base_url = config.merchant_api_url.rstrip("/")
        self.merchant_user_id = config.merchant_user_id or ""
        service_id = config.service_id or ""
        self.service_id = int(service_id) if service_id.isdigit() else 0
        self.clock = clock
        self.http = IntegrationHttpClient(integration, retries=0)

    def configuration_error(self) -> str | None:
        """What is missing for any call, or None."""
        if not self.merchant_user_id:
            return "config.merchant_user_id is not set"
        if not self.service_id:
            return "config.service_id is not set (a number)"
        if not self.integration.api_secret:
            return "api_secret (Click's secret key) is not set"
        return None

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Auth": click_auth_header(
                merchant_user_id=self.merchant_user_id,
                secret_key=self.integration.api_secret or "",
                timestamp=int(self.clock()),
            ),
        }

    def _call(
        self,
        method: str,
        path: str,
        *,
        action: str,
        body: dict[str, Any] | None = None,
        amount_tiyin: int | None = None,
        log_body: dict[str, Any] | None = None,
    ) -> ClickMerchantAnswer:
        problem = self.configuration_error()
        if problem:
            raise ClickMerchantNoAnswer(problem)
        data: str | None = None
        if body is not None:
            payload = dict(body)
            if amount_tiyin is not None:
                payload["amount"] = _AMOUNT_MARK
            data = json.dumps(payload)
            if amount_tiyin is not None:
                # A JSON number with exactly two decimals, as Click writes amounts.
                data = data.replace(f'"{_AMOUNT_MARK}"', soums_text(amount_tiyin), 1)
        logged = log_body if log_body is not None else body
        if logged is not None and amount_tiyin is not None:
            logged = {**logged, "amount": soums_text(amount_tiyin)}
        try:
            result = self.http.request(
                method,
                f"{self.base_url}/{path}",
                action=action,
                headers=self._headers(),
                data=data,
                log_request_body=logged,
            )
        except HttpError as error:
            raise ClickMerchantNoAnswer(str(error)) from None
        if result.status_code >= 500:
            raise ClickMerchantNoAnswer(f"HTTP {result.status_code}")
        try:
            parsed = response_json(result.response)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            if 400 <= result.status_code < 500:
                return ClickMerchantAnswer(http_status=result.status_code, body={})
            raise ClickMerchantNoAnswer(f"HTTP {result.status_code}: the body is not a JSON object")
        return ClickMerchantAnswer(http_status=result.status_code, body=parsed)

    # --- Click Pass -------------------------------------------------------------------------

    def click_pass_payment(
        self, *, otp_data: str, amount_tiyin: int, transaction_id: str, cashbox_code: str = ""
    ) -> ClickMerchantAnswer:
        body: dict[str, Any] = {"service_id": self.service_id, "otp_data": otp_data}
        if cashbox_code:
            body["cashbox_code"] = cashbox_code
        body["transaction_id"] = transaction_id
        # The scanned code is a one-time credential: the log keeps only that one was sent.
        return self._call(
            "POST",
            "click_pass/payment",
            action="click.pass_payment",
            body=body,
            amount_tiyin=amount_tiyin,
            log_body={**body, "otp_data": "[REDACTED]"},
        )

    def click_pass_confirm(self, *, payment_id: int) -> ClickMerchantAnswer:
        return self._call(
            "POST",
            "click_pass/confirm",
            action="click.pass_confirm",
            body={"service_id": self.service_id, "payment_id": payment_id},
        )

    def payment_status(self, *, payment_id: int) -> ClickMerchantAnswer:
        return self._call(
            "GET", f"payment/status/{self.service_id}/{payment_id}", action="click.payment_status"
        )

    def payment_status_by_mti(self, *, merchant_trans_id: str, day: date) -> ClickMerchantAnswer:
        return self._call(
            "GET",
            f"payment/status_by_mti/{self.service_id}/{merchant_trans_id}/{day.isoformat()}",
            action="click.payment_status_by_mti",
        )

    def payment_reversal(self, *, payment_id: int) -> ClickMerchantAnswer:
        return self._call(
            "DELETE",
            f"payment/reversal/{self.service_id}/{payment_id}",
            action="click.payment_reversal",
        )

    # --- fiscal receipts (tiyin) ------------------------------------------------------------

    def ofd_data(self, *, payment_id: int) -> ClickMerchantAnswer:
        return self._call(
            "GET", f"payment/ofd_data/{self.service_id}/{payment_id}", action="click.ofd_data"
        )

    def ofd_submit_items(
        self,
        *,
        payment_id: int,
        items: list[dict[str, Any]],
        received_card: int,
        received_ecash: int,
        received_cash: int,
    ) -> ClickMerchantAnswer:
        return self._call(
            "POST",
            "payment/ofd_data/submit_items",
            action="click.ofd_submit_items",
            body={
                "service_id": self.service_id,
                "payment_id": payment_id,
                "items": items,
                "received_ecash": received_ecash,
                "received_cash": received_cash,
                "received_card": received_card,
            },
        )
