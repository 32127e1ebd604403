"""The provider registry: one explicit table of every outside system the hub speaks to.

``PROVIDERS`` maps an integration's ``provider`` to the dotted path of its declaration, a
``Provider`` subclass in a module of its own (healthchecks keeps its ``TRANSPORTS`` the same way).
A declaration says what the provider can do: test the connection, sync entities, which signature
scheme its senders use, and whether its senders speak their own protocol on the receive URL
(``receive_protocol``). Paths are imported on first use, so this module imports no provider, and
a provider module may name code in the apps above this one (a receive protocol in ``payments``)
without this base app importing them.

Adding a provider is one new module in this package and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from integrations.models import Integration, IntegrationType
from integrations.providers.base import Provider, ReceiveProtocol, ReceiveUnreadable

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PROVIDERS: dict[str, str] = {
    "1c": "integrations.providers.onec.OneCOData",
    "onec": "integrations.providers.onec.OneCOData",
    "1c_odata": "integrations.providers.onec.OneCOData",
    "rest": "integrations.providers.rest.GenericRest",
    "github": "integrations.providers.github.GitHub",
    "stripe": "integrations.providers.stripe.Stripe",
    "standard_webhooks": "integrations.providers.standard_webhooks.StandardWebhooks",
    "svix": "integrations.providers.standard_webhooks.StandardWebhooks",
    "payme": "integrations.providers.payme.Payme",
    "click": "integrations.providers.click.Click",
    "paynet": "integrations.providers.paynet.Paynet",
    "uzum": "integrations.providers.uzum.Uzum",
    "telegram": "integrations.providers.telegram.Telegram",
    "smtp": "integrations.providers.smtp.Smtp",
    "eskiz": "integrations.providers.eskiz.Eskiz",
}

# Integrations whose provider has no connector of its own but that are plain APIs (type ``api``,
# or an ``api_endpoint`` set) are spoken to as generic REST: the contract's rule.
FALLBACK_PROVIDER = "rest"


@cache
def _load(path: str) -> type[Provider]:
    declaration: type[Provider] = import_string(path)
    return declaration


def declaration_for(name: str | None) -> type[Provider] | None:
    """The declaration registered for a provider name (any case), or None."""
    path = PROVIDERS.get((name or "").lower())
    return _load(path) if path else None


def provider_for(integration: Integration) -> Provider | None:
    """The connector that tests and syncs ``integration``: its provider's, when that provider
    has one, else generic REST for a plain API; None when nothing can speak to it."""
    declaration = declaration_for(integration.provider)
    if declaration is None or not (declaration.can_test or declaration.can_sync):
        if integration.type == IntegrationType.API or integration.api_endpoint:
            declaration = declaration_for(FALLBACK_PROVIDER)
        else:
            declaration = None
    return declaration() if declaration else None


def channel_providers() -> list[str]:
    """The provider names of notification channels (alerts are sent through them)."""
    return [name for name in PROVIDERS if getattr(declaration_for(name), "can_notify", False)]


def channel_for(integration: Integration) -> Provider | None:
    """The channel that sends ``integration``'s messages, None when it is no channel."""
    declaration = declaration_for(integration.provider)
    return declaration() if declaration is not None and declaration.can_notify else None


def default_signature_scheme(integration: Integration) -> str | None:
    """The signature scheme the provider's senders use, when it declares one."""
    declaration = declaration_for(integration.provider)
    return declaration.signature_scheme if declaration else None


def receive_protocol_for(integration: Integration) -> ReceiveProtocol | None:
    """The provider's own receive protocol (a gateway's RPC), which answers the whole request
    in place of the generic verify-store-process path; None for ordinary webhook senders."""
    declaration = declaration_for(integration.provider)
    if declaration is None or not declaration.receive_protocol:
        return None
    return _load_protocol(declaration.receive_protocol)


def receives_operations(integration: Integration) -> bool:
    """Whether the provider's senders append an operation to the receive URL
    (``…/receive/<code>/<operation>``, Uzum's five webhooks)."""
    declaration = declaration_for(integration.provider)
    return bool(declaration and declaration.receive_protocol and declaration.receive_operations)


def operation_route_unavailable(request: HttpRequest) -> HttpResponse | None:
    """The answer to a call on an operation route when the database cannot say whose code it
    is: the provider that takes operations answers it in its own protocol (never a 5xx)."""
    for path in dict.fromkeys(PROVIDERS.values()):
        declaration = _load(path)
        if declaration.receive_operations and declaration.receive_unavailable:
            answer: Callable[[HttpRequest], HttpResponse] = import_string(
                declaration.receive_unavailable
            )
            return answer(request)
    return None


@cache
def _load_protocol(path: str) -> ReceiveProtocol:
    protocol: ReceiveProtocol = import_string(path)
    return protocol


def receive_unreadable_answer(request: HttpRequest, *, provider: str | None) -> HttpResponse | None:
    """The answer to a receive whose integration cannot be read (the database down): from the
    protocol of ``provider`` (the code's provider when this process last read it), or, for a code
    it has not read, from the first protocol that recognises the call as its own; None when no
    protocol answers (the caller then gives the generic 503)."""
    if provider is not None:
        declarations = [declaration_for(provider)]
    else:
        declarations = [_load(path) for path in dict.fromkeys(PROVIDERS.values())]
    for declaration in declarations:
        if declaration is None or not declaration.receive_unreadable:
            continue
        unreadable: ReceiveUnreadable = import_string(declaration.receive_unreadable)
        answer = unreadable(request, known=provider is not None)
        if answer is not None:
            return answer
    return None
