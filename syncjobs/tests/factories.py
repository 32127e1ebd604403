"""factory_boy factories for sync jobs and synced records."""

import factory
from django.utils import timezone

from core.testing.factories import ModelFactory
from integrations.tests.factories import IntegrationFactory
from syncjobs.models import SyncedRecord, SyncJob


class SyncJobFactory(ModelFactory[SyncJob]):
    class Meta:
        model = SyncJob

    integration = factory.SubFactory(IntegrationFactory)
    job_type = "manual_sync"


class SyncedRecordFactory(ModelFactory[SyncedRecord]):
    class Meta:
        model = SyncedRecord

    integration = factory.SubFactory(IntegrationFactory)
    entity = "products"
    external_id = factory.Sequence(lambda n: f"id-{n}")
    data = factory.LazyAttribute(lambda o: {"id": o.external_id})
    version = "sha256:0"
    first_synced_at = factory.LazyFunction(timezone.now)
    last_synced_at = factory.LazyFunction(timezone.now)
