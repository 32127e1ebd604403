"""The gateway settings an integration keeps in ``config``, read once through typed objects.

Payme: ``account_field`` (default ``order_id``), ``test_mode`` (checkout on the test host),
``return_url``, ``refunds_allowed`` (default true; false answers a cancel of a performed
transaction with -31007). Click: ``service_id``, ``merchant_id``, ``return_url``.
Secrets are not here: the Payme key and the Click secret key are the integration's ``api_secret``,
the Payme merchant id its ``api_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.models import Integration

DEFAULT_ACCOUNT_FIELD = "order_id"


def _config(integration: Integration) -> dict[str, Any]:
    config = integration.config
    return config if isinstance(config, dict) else {}


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return ""
    return str(value).strip()


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    if isinstance(value, int):
        return bool(value)
    return default


@dataclass(frozen=True)
class PaymeConfig:
    account_field: str
    test_mode: bool
    return_url: str
    refunds_allowed: bool

    @classmethod
    def of(cls, integration: Integration) -> PaymeConfig:
        config = _config(integration)
        return cls(
            account_field=_text(config.get("account_field")) or DEFAULT_ACCOUNT_FIELD,
            test_mode=_flag(config.get("test_mode"), False),
            return_url=_text(config.get("return_url")),
            refunds_allowed=_flag(config.get("refunds_allowed"), True),
        )


@dataclass(frozen=True)
class ClickConfig:
    service_id: str
    merchant_id: str
    return_url: str

    @classmethod
    def of(cls, integration: Integration) -> ClickConfig:
        config = _config(integration)
        return cls(
            service_id=_text(config.get("service_id")),
            merchant_id=_text(config.get("merchant_id")),
            return_url=_text(config.get("return_url")),
        )
