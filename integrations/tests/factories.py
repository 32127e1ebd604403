"""factory_boy factories for integrations, their logs, and the webhooks and sync jobs they own."""

import factory

from integrations.models import Integration, IntegrationLog, IntegrationStatus, IntegrationType
from syncjobs.models import SyncJob, SyncJobStatus
from vendhub_integrations.testing.factories import ModelFactory
from webhooks.models import Webhook, WebhookStatus


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


class WebhookFactory(ModelFactory[Webhook]):
    class Meta:
        model = Webhook

    integration = factory.SubFactory(IntegrationFactory)
    event_type = "order.created"
    source = factory.LazyAttribute(lambda o: o.integration.provider if o.integration else None)
    external_id = factory.Sequence(lambda n: f"evt_{n}")
    payload = factory.LazyAttribute(lambda o: {"id": o.external_id, "type": o.event_type})
    headers = factory.LazyFunction(lambda: {"Content-Type": "application/json"})
    status = WebhookStatus.PENDING


class SyncJobFactory(ModelFactory[SyncJob]):
    class Meta:
        model = SyncJob

    integration = factory.SubFactory(IntegrationFactory)
    job_type = "manual_sync"
    status = SyncJobStatus.COMPLETED
