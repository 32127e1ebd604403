"""Provider registry: one module per outside system, found by ``integration.provider``.

Every module in this package is imported once on first use, so adding a provider is adding one
file that defines a ``Provider`` subclass decorated with ``@register``.
"""

from __future__ import annotations

import importlib
import pkgutil

from integrations.models import Integration, IntegrationType
from integrations.providers.base import Provider, registered

# Modules of this package that are machinery, not providers.
_NOT_PROVIDERS = frozenset({"base", "services"})
# Integrations of an unknown provider that are plain APIs are spoken to as generic REST.
_FALLBACK_PROVIDER = "rest"
_discovered = False


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_PROVIDERS and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _discovered = True


def provider_for(integration: Integration) -> Provider | None:
    """The provider that speaks to ``integration``: by its ``provider``, else generic REST for
    type ``api`` (the contract's rule) and for any other integration with an ``api_endpoint``."""
    _discover()
    provider = registered(integration.provider or "")
    if provider is None and (integration.type == IntegrationType.API or integration.api_endpoint):
        provider = registered(_FALLBACK_PROVIDER)
    return provider() if provider else None
