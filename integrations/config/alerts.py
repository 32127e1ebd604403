"""The settings of a notification channel (telegram, smtp, eskiz) in its ``config``: which
alert events it is told about (``config.alerts``, read into ``AlertsSpec``) and its recipients
(``config.to``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.config.values import ConfigValueError, parse_names, parse_number

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


def parse_alerts(value: Any) -> AlertsSpec:
    if not isinstance(value, dict):
        raise ConfigValueError(
            'must be an object {"events": [...], "integrations": [...], "cooldown_minutes": 15}'
        )
    values: dict[str, Any] = {}
    if value.get("events") not in (None, ""):
        events = parse_names(value["events"], what="events")
        unknown = [event for event in events if event not in ALERT_EVENTS]
        if unknown:
            raise ConfigValueError(
                f"events: unknown event {unknown[0]!r} (known: {', '.join(ALERT_EVENTS)})"
            )
        values["events"] = events
    if value.get("integrations") not in (None, ""):
        values["integrations"] = parse_names(value["integrations"], what="integrations")
    if value.get("cooldown_minutes") not in (None, ""):
        try:
            cooldown = parse_number(value["cooldown_minutes"])
        except ConfigValueError:
            raise ConfigValueError("cooldown_minutes must be a number") from None
        if cooldown < 0:
            raise ConfigValueError("cooldown_minutes must be at least 0")
        values["cooldown_minutes"] = cooldown
    return AlertsSpec(**values)


def parse_recipients(value: Any) -> tuple[str, ...]:
    """``config.to``: a list of addresses or phone numbers (one string is a list of one)."""
    return parse_names(value, what="the value")
