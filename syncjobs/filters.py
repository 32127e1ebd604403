"""FilterSet behind the sync job list endpoint and selectors."""

from syncjobs.models import SyncJob
from vendhub_integrations.api.filters import CreatedRangeFilterSet, IntegrationIdFilter


class SyncJobFilter(CreatedRangeFilterSet):
    integration = IntegrationIdFilter()

    class Meta:
        model = SyncJob
        fields = ["status", "integration", "job_type"]
