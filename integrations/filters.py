"""FilterSets behind the list endpoints and selectors of integrations and their logs."""

import django_filters

from integrations.models import Alert, Integration, IntegrationLog
from vendhub_integrations.api.filters import CreatedRangeFilterSet, IntegrationIdFilter


class IntegrationFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="provider", lookup_expr="iexact")

    class Meta:
        model = Integration
        fields = ["type", "status", "provider", "auto_sync_enabled"]


class IntegrationLogFilter(CreatedRangeFilterSet):
    integration = IntegrationIdFilter()

    class Meta:
        model = IntegrationLog
        fields = ["integration", "direction", "action", "status_code"]


class AlertFilter(CreatedRangeFilterSet):
    channel = IntegrationIdFilter(field_name="channel_id", label="Channel (integration) id")
    integration = IntegrationIdFilter()

    class Meta:
        model = Alert
        fields = ["channel", "event", "status", "integration"]
