"""factory_boy factories for webhooks, and a webhook of an integration configured for a test."""

import factory

from core.testing.factories import ModelFactory
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus


class WebhookFactory(ModelFactory[Webhook]):
    class Meta:
        model = Webhook

    integration = factory.SubFactory(IntegrationFactory)
    source = factory.LazyAttribute(lambda o: o.integration.provider if o.integration else None)
    event_type = "order.created"
    external_id = factory.Sequence(lambda n: f"evt_{n}")
    payload = factory.LazyAttribute(lambda o: {"id": o.external_id, "type": o.event_type})
    headers = factory.LazyFunction(lambda: {"Content-Type": "application/json"})
    status = WebhookStatus.PENDING
    signature_verified = True


def make_webhook(config: dict | None = None, provider: str = "erp", **fields) -> Webhook:
    """A webhook of a new integration of ``provider`` with ``config``; its ``max_retries`` is the
    config's ``retry_attempts`` (3 when unset)."""
    integration = IntegrationFactory(provider=provider, config=config or {})
    return WebhookFactory(
        integration=integration,
        max_retries=(config or {}).get("retry_attempts", 3),
        **fields,
    )
