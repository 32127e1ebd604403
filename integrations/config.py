"""``Integration.config`` read once, typed, with the contract's defaults.

``config`` is a JSON object operators write by hand (API, admin). Every reader in the hub goes
through ``IntegrationConfig``: ``IntegrationConfig.read(config)`` never fails (a value of the wrong
type, written before these rules or straight into the database, reads as the key's default), and
``config_errors(config)`` lists what is wrong with each known key, for a write (API, admin) to
refuse with a message that names the key. Keys the hub does not know are kept as written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from integrations.outbound import denied_url_reason


class ConfigValueError(ValueError):
    """A value that does not fit its key; the message says what is expected."""


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, bool)):
        raise ConfigValueError("must be a string")
    return str(value).strip()


def _number(value: Any) -> float:
    if isinstance(value, (bool, dict, list)):
        raise ConfigValueError("must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigValueError("must be a number") from None
    if not math.isfinite(number):
        raise ConfigValueError("must be a finite number")
    return number


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    raise ConfigValueError("must be true or false")


def _mapping(value: Any) -> dict[str, str]:
    """``mapping`` as entity → source (a 1C entity set, a REST path). The usual form is an
    object; a list of names (each its own source) and objects with ``entity_set`` or ``path``
    are accepted too, as operators write them by hand."""
    if isinstance(value, list):
        return {str(name): str(name) for name in value if name}
    if not isinstance(value, dict):
        raise ConfigValueError("must be an object of entity → source (or a list of names)")
    result: dict[str, str] = {}
    for entity, source in value.items():
        if isinstance(source, dict):
            source = source.get("entity_set") or source.get("path") or entity
        result[str(entity)] = str(source or entity)
    return result


def _digits(value: Any, length: int) -> str:
    """A tax id: exactly ``length`` digits (a JSON number is accepted as written)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigValueError(f"must be {length} digits")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) == length):
        raise ConfigValueError(f"must be {length} digits")
    return text


# The events an alert channel can be told about (CONTRACT "Alerts"); ``integrations.models.
# AlertEvent`` spells the same names for the ``alerts`` table.
ALERT_EVENTS = (
    "webhook.failed",
    "sync_job.failed",
    "integration.failing",
    "integration.recovered",
    "fiscal_receipt.failed",
    "worker.down",
    "beat.down",
    "backlog",
)
DEFAULT_COOLDOWN_MINUTES = 15


@dataclass(frozen=True)
class AlertsSpec:
    """``config.alerts`` of a notification channel: which events, about which integrations
    (codes; empty: all), and the cooldown of one (event, integration) between two messages."""

    events: tuple[str, ...] = ALERT_EVENTS
    integrations: tuple[str, ...] = ()
    cooldown_minutes: float = DEFAULT_COOLDOWN_MINUTES

    def wants(self, event: str, integration_code: str | None) -> bool:
        """Whether this channel is told about ``event`` of ``integration_code``; events about
        the hub itself (no integration) pass an integration filter."""
        if event not in self.events:
            return False
        return (
            not self.integrations
            or integration_code is None
            or (integration_code in self.integrations)
        )


def _names(value: Any, *, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigValueError(f"{what} must be a list of strings")
    return tuple(item.strip() for item in value if item.strip())


def _alerts(value: Any) -> AlertsSpec:
    if not isinstance(value, dict):
        raise ConfigValueError(
            'must be an object {"events": [...], "integrations": [...], "cooldown_minutes": 15}'
        )
    values: dict[str, Any] = {}
    if value.get("events") not in (None, ""):
        events = _names(value["events"], what="events")
        unknown = [event for event in events if event not in ALERT_EVENTS]
        if unknown:
            raise ConfigValueError(
                f"events: unknown event {unknown[0]!r} (known: {', '.join(ALERT_EVENTS)})"
            )
        values["events"] = events
    if value.get("integrations") not in (None, ""):
        values["integrations"] = _names(value["integrations"], what="integrations")
    if value.get("cooldown_minutes") not in (None, ""):
        try:
            cooldown = _number(value["cooldown_minutes"])
        except ConfigValueError:
            raise ConfigValueError("cooldown_minutes must be a number") from None
        if cooldown < 0:
            raise ConfigValueError("cooldown_minutes must be at least 0")
        values["cooldown_minutes"] = cooldown
    return AlertsSpec(**values)


def _recipients(value: Any) -> tuple[str, ...]:
    """``config.to``: a list of addresses or phone numbers (one string is a list of one)."""
    return _names(value, what="the value")


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
        if self.parse is not _number:
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
    "signature_scheme": _Key("signature_scheme", _text),
    "signature_header": _Key("signature_header", _text),
    "external_id_field": _Key("external_id_field", _text),
    "event_type_field": _Key("event_type_field", _text),
    "tolerance_seconds": _Key("tolerance_seconds", _number, minimum=0, whole=True),
    "rate_limit_per_minute": _Key("rate_limit_per_minute", _number, minimum=1, whole=True),
    # Processing them
    "forward_url": _Key("forward_url", _text, outbound_url=True),
    "forward_secret": _Key("forward_secret", _text),
    "retry_attempts": _Key("retry_attempts", _number, minimum=0, maximum=_MAX_RETRIES, whole=True),
    "retry_backoff_seconds": _Key("retry_backoff_seconds", _number, minimum=0),
    "processing_lease_seconds": _Key("processing_lease_seconds", _number, minimum=1),
    # Outbound HTTP
    "timeout": _Key("timeout_ms", _number, minimum=100),
    "http_retries": _Key("http_retries", _number, minimum=0, maximum=20, whole=True),
    # Syncing
    "mapping": _Key("mapping", _mapping),
    "page_size": _Key("page_size", _number, minimum=1, whole=True),
    "key_field": _Key("key_field", _text),
    "auth": _Key("auth", _text),
    "test_path": _Key("test_path", _text),
    "results_field": _Key("results_field", _text),
    "next_field": _Key("next_field", _text),
    "read_versions_first": _Key("read_versions_first", _flag),
    "max_consecutive_failures": _Key("max_consecutive_failures", _number, minimum=1, whole=True),
    # Payment gateways
    "account_field": _Key("account_field", _text),
    "service_id": _Key("service_id", _text),
    "merchant_id": _Key("merchant_id", _text),
    "return_url": _Key("return_url", _text),
    "test_mode": _Key("test_mode", _flag),
    "refunds_allowed": _Key("refunds_allowed", _flag),
    "confirm_timeout_s": _Key("confirm_timeout_s", _number, minimum=1, whole=True),
    "min_amount": _Key("min_amount", _number, minimum=0, whole=True),
    "max_amount": _Key("max_amount", _number, minimum=0, whole=True),
    "deeplink_template": _Key("deeplink_template", _text),
    # Click merchant API (Click Pass, fiscal receipts)
    "merchant_api_url": _Key("merchant_api_url", _text, outbound_url=True),
    "merchant_user_id": _Key("merchant_user_id", _text),
    "tin": _Key("tin", lambda value: _digits(value, 9)),
    "pinfl": _Key("pinfl", lambda value: _digits(value, 14)),
    "fiscal_units": _Key("fiscal_units", _text),
    "fiscal_attempts": _Key("fiscal_attempts", _number, minimum=1, maximum=1000, whole=True),
    # Notification channels (telegram, smtp, eskiz)
    "alerts": _Key("alerts", _alerts),
    "chat_id": _Key("chat_id", _text),
    "from": _Key("sender", _text),
    "to": _Key("recipients", _recipients),
    "starttls": _Key("starttls", _flag),
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
    raise ImportError("integrations.config: every IntegrationConfig attribute needs a key")


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
