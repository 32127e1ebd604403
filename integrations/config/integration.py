"""``IntegrationConfig``: every known key of ``config``, how it is read (``_KEYS``) and its
default; ``config_errors`` for a write that must refuse a wrong value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from integrations.config.alerts import AlertsSpec, parse_alerts, parse_recipients
from integrations.config.values import (
    ConfigValueError,
    parse_digits,
    parse_flag,
    parse_mapping,
    parse_number,
    parse_text,
)
from integrations.outbound import denied_url_reason


@dataclass(frozen=True)
class _Key:
    """How one key of ``config`` is read: its attribute, its parser and, for numbers, its
    bounds. A read clamps a number into the bounds (a hand-written -1 retries reads as 0); a
    write is refused for it."""

    attribute: str
    parse: Callable[[Any], Any]
    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False
    # An outbound URL: a write naming a literal address in OUTBOUND_DENY_NETWORKS is refused
    # (a read keeps it, and the call is refused with the rule's name when it is made).
    outbound_url: bool = False

    def value(self, raw: Any, *, strict: bool) -> Any:
        value = self.parse(raw)
        if self.outbound_url and strict and (reason := denied_url_reason(value)):
            raise ConfigValueError(f"is refused: {reason}")
        if self.parse is not parse_number:
            return value
        if self.whole and strict and value != int(value):
            raise ConfigValueError("must be a whole number")
        if self.minimum is not None and value < self.minimum:
            if strict:
                raise ConfigValueError(f"must be at least {self.minimum:g}")
            value = self.minimum
        if self.maximum is not None and value > self.maximum:
            if strict:
                raise ConfigValueError(f"must be at most {self.maximum:g}")
            value = self.maximum
        return int(value) if self.whole else value


# The largest count the webhooks' max_retries column holds (PostgreSQL integer).
_MAX_RETRIES = 2_147_483_647
# A claim's lease when ``processing_lease_seconds`` is not set: renewed every 10 s while the
# worker works, and with the sweeper every 10 s a killed worker's webhook is taken up again
# within about 40 s.
DEFAULT_LEASE_SECONDS = 30.0

# key in config → how it is read. An absent key, null or "" means the attribute's default.
_KEYS: dict[str, _Key] = {
    # Receiving webhooks
    "signature_scheme": _Key("signature_scheme", parse_text),
    "signature_header": _Key("signature_header", parse_text),
    "external_id_field": _Key("external_id_field", parse_text),
    "event_type_field": _Key("event_type_field", parse_text),
    "tolerance_seconds": _Key("tolerance_seconds", parse_number, minimum=0, whole=True),
    "rate_limit_per_minute": _Key("rate_limit_per_minute", parse_number, minimum=1, whole=True),
    # Processing them
    "forward_url": _Key("forward_url", parse_text, outbound_url=True),
    "forward_secret": _Key("forward_secret", parse_text),
    "retry_attempts": _Key(
        "retry_attempts", parse_number, minimum=0, maximum=_MAX_RETRIES, whole=True
    ),
    "retry_backoff_seconds": _Key("retry_backoff_seconds", parse_number, minimum=0),
    "processing_lease_seconds": _Key("processing_lease_seconds", parse_number, minimum=1),
    # Outbound HTTP
    "timeout": _Key("timeout_ms", parse_number, minimum=100),
    "http_retries": _Key("http_retries", parse_number, minimum=0, maximum=20, whole=True),
    # Syncing
    "mapping": _Key("mapping", parse_mapping),
    "page_size": _Key("page_size", parse_number, minimum=1, whole=True),
    "key_field": _Key("key_field", parse_text),
    "auth": _Key("auth", parse_text),
    "test_path": _Key("test_path", parse_text),
    "results_field": _Key("results_field", parse_text),
    "next_field": _Key("next_field", parse_text),
    "read_versions_first": _Key("read_versions_first", parse_flag),
    "max_consecutive_failures": _Key(
        "max_consecutive_failures", parse_number, minimum=1, whole=True
    ),
    # Payment gateways
    "account_field": _Key("account_field", parse_text),
    "service_id": _Key("service_id", parse_text),
    "merchant_id": _Key("merchant_id", parse_text),
    "return_url": _Key("return_url", parse_text),
    "test_mode": _Key("test_mode", parse_flag),
    "refunds_allowed": _Key("refunds_allowed", parse_flag),
    "confirm_timeout_s": _Key("confirm_timeout_s", parse_number, minimum=1, whole=True),
    "min_amount": _Key("min_amount", parse_number, minimum=0, whole=True),
    "max_amount": _Key("max_amount", parse_number, minimum=0, whole=True),
    "deeplink_template": _Key("deeplink_template", parse_text),
    # Click merchant API (Click Pass, fiscal receipts)
    "merchant_api_url": _Key("merchant_api_url", parse_text, outbound_url=True),
    "merchant_user_id": _Key("merchant_user_id", parse_text),
    "tin": _Key("tin", lambda value: parse_digits(value, 9)),
    "pinfl": _Key("pinfl", lambda value: parse_digits(value, 14)),
    "fiscal_units": _Key("fiscal_units", parse_text),
    "fiscal_attempts": _Key("fiscal_attempts", parse_number, minimum=1, maximum=1000, whole=True),
    # Notification channels (telegram, smtp, eskiz)
    "alerts": _Key("alerts", parse_alerts),
    "chat_id": _Key("chat_id", parse_text),
    "from": _Key("sender", parse_text),
    "to": _Key("recipients", parse_recipients),
    "starttls": _Key("starttls", parse_flag),
}


@dataclass(frozen=True)
class IntegrationConfig:
    """The known keys of ``config`` with the contract's defaults (see the README's config table)."""

    signature_scheme: str | None = None
    signature_header: str = "X-Signature"
    external_id_field: str = "id"
    # None: the event type is tried at ``type``, ``event``, then ``event_type``.
    event_type_field: str | None = None
    tolerance_seconds: int = 300
    rate_limit_per_minute: int | None = None
    forward_url: str | None = None
    forward_secret: str | None = None
    retry_attempts: int = 3
    retry_backoff_seconds: float = 30.0
    # None: DEFAULT_LEASE_SECONDS; see ``lease_seconds``.
    processing_lease_seconds: float | None = None
    timeout_ms: float = 30_000.0
    http_retries: int = 3
    mapping: dict[str, str] = field(default_factory=dict)
    page_size: int = 500
    # None: the provider's own key (``Ref_Key`` for 1C, ``id`` for REST).
    key_field: str | None = None
    auth: str = "bearer"
    test_path: str = ""
    results_field: str = "results"
    next_field: str = "next"
    # 1C re-sync: each page's keys and DataVersion first ($select), the whole page when one differs.
    read_versions_first: bool = True
    max_consecutive_failures: int = 5
    account_field: str = "order_id"
    service_id: str | None = None
    merchant_id: str | None = None
    return_url: str | None = None
    test_mode: bool = False
    # Payme: false answers a cancel of a performed transaction with -31007 (goods delivered).
    refunds_allowed: bool = True
    # Uzum: seconds a created transaction waits for /confirm before it fails (reason 4); the
    # optional amount bounds of /create (tiyin).
    confirm_timeout_s: int = 1800
    min_amount: int | None = None
    max_amount: int | None = None
    # Uzum, Paynet: the gateway's own checkout link, overriding the built-in shape (gateways.md).
    deeplink_template: str | None = None
    merchant_api_url: str = "https://api.click.uz/v2/merchant"
    merchant_user_id: str | None = None
    # The seller's tax id (9 digits) or personal id (14 digits): Click's CommissionInfo.
    tin: str | None = None
    pinfl: str | None = None
    # Click's receipt line ``Units`` (a unit-of-measure classifier code), sent when set.
    fiscal_units: str | None = None
    # Fiscalization tries before a receipt is ``failed``.
    fiscal_attempts: int = 10
    alerts: AlertsSpec = field(default_factory=AlertsSpec)
    # Telegram's chat, the sender (e-mail address, Eskiz's nickname) and recipients of alerts.
    chat_id: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    # SMTP over smtp://: STARTTLS when the server offers it, unless this is false.
    starttls: bool = True

    @classmethod
    def read(cls, config: Mapping[str, Any] | None) -> IntegrationConfig:
        """The typed config; a key whose value does not parse takes its default."""
        values: dict[str, Any] = {}
        for key, spec in _KEYS.items():
            raw = config.get(key) if isinstance(config, Mapping) else None
            if raw is None or raw == "":
                continue
            try:
                values[spec.attribute] = spec.value(raw, strict=False)
            except ConfigValueError:
                continue
        return cls(**values)

    @property
    def timeout_seconds(self) -> float:
        """``timeout`` is in milliseconds, as the seed writes it; requests wants seconds."""
        return max(0.1, self.timeout_ms / 1000.0)

    @property
    def max_retries(self) -> int:
        """``retry_attempts`` as the webhooks' ``max_retries`` column can hold it."""
        return self.retry_attempts

    @property
    def lease_seconds(self) -> float:
        """How long a worker's claim on a webhook lasts without renewal. The worker renews it
        every third of that while it works (``webhooks.lease``), however long the forward takes,
        so it can be short: a killed worker's webhook is free again this many seconds after its
        last renewal, and the sweeper hands it on."""
        if self.processing_lease_seconds is not None:
            return self.processing_lease_seconds
        return DEFAULT_LEASE_SECONDS


if {spec.attribute for spec in _KEYS.values()} != {f.name for f in fields(IntegrationConfig)}:
    raise ImportError(
        "integrations.config.integration: every IntegrationConfig attribute needs a key"
    )


def config_errors(config: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with each known key of ``config``, as ``{"<key>": "<message>"}``."""
    errors: dict[str, str] = {}
    for key, spec in _KEYS.items():
        raw = config.get(key)
        if raw is None or raw == "":
            continue
        try:
            spec.value(raw, strict=True)
        except ConfigValueError as error:
            errors[key] = f"config.{key} {error}"
    return errors
