"""FilterSets behind the list endpoints and selectors of integrations and their logs."""

import django_filters
from django.db.models import QuerySet

from core.api.filters import CreatedRangeFilterSet, IntegrationIdFilter
from integrations.models import Alert, Integration, IntegrationLog
from integrations.selectors import ALERT_API_STATUSES, alert_filter_status


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
    # The contract's two statuses (see integrations.selectors.alert_list_told).
    status = django_filters.ChoiceFilter(
        choices=[(value, value) for value in ALERT_API_STATUSES], method="filter_status"
    )

    class Meta:
        model = Alert
        fields = ["channel", "event", "status", "integration"]

    def filter_status(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        return alert_filter_status(queryset, value)
