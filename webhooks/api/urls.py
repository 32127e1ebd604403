"""Routes of the webhooks API and the public receive URL (with its per-operation form)."""

from django.db import transaction
from django.urls import re_path

from core.api.routers import UUID_PATTERN, OptionalSlashRouter
from webhooks.api.receive import webhook_receive_operation_view, webhook_receive_view
from webhooks.api.views import RotateWebhookSecretView, WebhookViewSet

router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    # Not inside a request-wide transaction: the record of a refused or failed request must be
    # committed whatever the answer, and the 2xx goes out only after the row's own commit.
    re_path(
        r"^webhooks/receive/(?P<code>[^/]+)/?$",
        transaction.non_atomic_requests(webhook_receive_view),
        name="webhook-receive",
    ),
    # A gateway that appends its operation to the receive URL (Uzum: …/<code>/check, …).
    re_path(
        r"^webhooks/receive/(?P<code>[^/]+)/(?P<operation>[^/]+)/?$",
        transaction.non_atomic_requests(webhook_receive_operation_view),
        name="webhook-receive-operation",
    ),
    re_path(
        rf"^integrations/(?P<pk>{UUID_PATTERN})/rotate-webhook-secret/?$",
        RotateWebhookSecretView.as_view(),
        name="integration-rotate-webhook-secret",
    ),
    *router.urls,
]
