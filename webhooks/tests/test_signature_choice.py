"""Which signature scheme an integration gets (by provider, by config, registered by a provider
module), and the previous secret accepted during a rotation until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from integrations.providers import PROVIDERS
from integrations.providers.base import Provider
from integrations.tests.factories import IntegrationFactory
from webhooks.selectors import verification_secrets
from webhooks.signatures import (
    SignatureError,
    register_signature_scheme,
    scheme_for,
    scheme_name_for,
)
from webhooks.signatures.schemes import (
    HmacSha256Scheme,
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("provider", "secret", "config", "expected"),
    [
        ("github", "x" * 8, {}, "github"),
        ("stripe", "x" * 8, {}, "stripe"),
        ("svix", "x" * 8, {}, "standard_webhooks"),
        ("standard_webhooks", "x" * 8, {}, "standard_webhooks"),
        ("erp", "x" * 8, {}, "hmac_sha256"),
        ("erp", None, {}, "none"),
        ("github", "x" * 8, {"signature_scheme": "none"}, "none"),
    ],
)
def test_default_scheme_by_provider(provider, secret, config, expected):
    integration = IntegrationFactory(provider=provider, webhook_secret=secret, config=config)
    assert scheme_name_for(integration) == expected


@pytest.mark.django_db
def test_unknown_configured_scheme_is_refused():
    integration = IntegrationFactory(config={"signature_scheme": "md5"})
    with pytest.raises(SignatureError, match="unknown signature scheme"):
        scheme_for(integration)


class AlwaysScheme(HmacSha256Scheme):
    def verify(self, request, *, secrets, config):
        return None


class AlwaysProvider(Provider):
    signature_scheme = "test_always"


@pytest.mark.django_db
def test_a_provider_module_can_register_its_scheme(monkeypatch):
    register_signature_scheme("test_always", AlwaysScheme())
    monkeypatch.setitem(PROVIDERS, "test_provider", f"{__name__}.AlwaysProvider")
    integration = IntegrationFactory(provider="test_provider")
    assert scheme_for(integration).name == "test_always"


@pytest.mark.django_db
def test_previous_secret_verifies_only_until_it_expires():
    expires_at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    integration = IntegrationFactory(
        webhook_secret="new-secret",
        previous_webhook_secret="old-secret",
        previous_webhook_secret_expires_at=expires_at,
    )
    with time_machine.travel(expires_at - timedelta(seconds=1), tick=False):
        assert verification_secrets(integration) == ["new-secret", "old-secret"]
    with time_machine.travel(expires_at, tick=False):
        assert verification_secrets(integration) == ["new-secret"]
