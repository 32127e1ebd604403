"""factory_boy factories for integrations and their logs (one factory per model: webhooks and
sync jobs have theirs in their own apps' tests)."""

import factory

from core.testing.factories import ModelFactory
from integrations.models import Integration, IntegrationLog, IntegrationStatus, IntegrationType


class IntegrationFactory(ModelFactory[Integration]):
    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"Integration {n}")
    code = factory.Sequence(lambda n: f"integration-{n}")
    type = IntegrationType.API
    provider = "rest"
    status = IntegrationStatus.ACTIVE
    webhook_url = factory.LazyAttribute(lambda o: f"/api/webhooks/receive/{o.code}")


class IntegrationLogFactory(ModelFactory[IntegrationLog]):
    class Meta:
        model = IntegrationLog

    integration = factory.SubFactory(IntegrationFactory)
    action = "test_connection"
    direction = "outbound"
    endpoint = "https://erp.example.uz/api"
    status_code = 200
    duration_ms = 12
