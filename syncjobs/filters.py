"""FilterSets behind the sync job and synced record list endpoints and selectors."""

import django_filters

from core.api.fields import IsoDateTimeFilter
from core.api.filters import CreatedRangeFilterSet, IntegrationIdFilter
from syncjobs.models import SyncedRecord, SyncJob


class SyncJobFilter(CreatedRangeFilterSet):
    integration = IntegrationIdFilter()

    class Meta:
        model = SyncJob
        fields = ["status", "integration", "job_type"]


class SyncedRecordFilter(django_filters.FilterSet):
    integration = IntegrationIdFilter()
    last_job = django_filters.UUIDFilter(field_name="last_job_id", label="Last job id")
    synced_after = IsoDateTimeFilter(field_name="last_synced_at", lookup_expr="gte")

    class Meta:
        model = SyncedRecord
        fields = ["integration", "entity", "external_id", "is_deleted"]
