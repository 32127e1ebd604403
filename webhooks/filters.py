"""FilterSet behind the webhook list endpoint, the selectors and ``retry_webhooks``."""

from core.api.filters import CreatedRangeFilterSet, IntegrationIdFilter
from webhooks.models import Webhook


class WebhookFilter(CreatedRangeFilterSet):
    integration = IntegrationIdFilter()

    class Meta:
        model = Webhook
        fields = ["status", "integration", "event_type", "source", "external_id"]
