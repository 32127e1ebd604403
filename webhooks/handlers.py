"""Handlers registered in code for (provider, event type).

    @webhook_handler(provider="stripe", event_type="payment_intent.*")
    def record_payment(webhook: Webhook) -> None: ...

``provider`` and ``event_type`` match exactly, or ``"*"`` matches anything, or a pattern ending in
``.*`` matches that prefix (``payment.*`` matches ``payment.created`` and ``payment.refund.done``).
A handler that raises makes the webhook fail and be retried, so handlers must be idempotent: a
webhook may be handled again after a retry or a worker crash (at-least-once delivery). Handlers
are registered when their module is imported; an app imports its handler modules in ``ready()``.

A provider whose senders speak their own protocol on the receive URL (Payme's JSON-RPC, Click's
form posts) declares it as its ``receive_protocol`` in ``integrations.providers``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webhooks.models import Webhook

WebhookHandler = Callable[["Webhook"], Any]


def pattern_matches(pattern: str, value: str) -> bool:
    if pattern == "*" or pattern == value:
        return True
    if pattern.endswith(".*"):
        return value.startswith(pattern[:-1])
    return False


@dataclass(frozen=True)
class _Registration:
    provider: str
    event_type: str
    function: WebhookHandler

    def matches(self, provider: str, event_type: str) -> bool:
        return pattern_matches(self.provider, provider) and pattern_matches(
            self.event_type, event_type
        )


_handlers: list[_Registration] = []


def webhook_handler(
    *, provider: str = "*", event_type: str = "*"
) -> Callable[[WebhookHandler], WebhookHandler]:
    """Register the decorated function for webhooks of that provider and event type."""

    def register(function: WebhookHandler) -> WebhookHandler:
        registration = _Registration(provider.lower(), event_type, function)
        if registration not in _handlers:
            _handlers.append(registration)
        return function

    return register


def unregister_webhook_handler(function: WebhookHandler) -> None:
    _handlers[:] = [entry for entry in _handlers if entry.function is not function]


def handlers_for(*, provider: str, event_type: str) -> list[WebhookHandler]:
    """The matching handlers, in the order they were registered."""
    return [entry.function for entry in _handlers if entry.matches(provider.lower(), event_type)]
