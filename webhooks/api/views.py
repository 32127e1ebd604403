"""Webhooks API: list, get and delete stored deliveries."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from webhooks.api.serializers import WebhookSerializer
from webhooks.filters import WebhookFilter
from webhooks.models import Webhook


@extend_schema_view(
    list=extend_schema(summary="List webhooks"),
    retrieve=extend_schema(summary="Get a webhook"),
    destroy=extend_schema(summary="Delete a webhook"),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter
    search_fields = ["event_type", "external_id", "error_message"]
    ordering_fields = ["created_at", "processed_at", "retry_count", "next_retry_at"]
