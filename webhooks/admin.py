"""Admin screens for stored webhooks, the retry action (also a button on a webhook's page), and
the webhook secret's rotation (an action added to the integration list, and a button on an
integration's page that asks first)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from integrations.admin import register_integration_action
from integrations.admin.base import (
    ObjectButton,
    ObjectButtonsMixin,
    ViewOnlyAdmin,
    pretty_json,
    short,
)
from integrations.models import Integration
from vendhub_integrations.api.permissions import request_actor
from webhooks.models import Webhook
from webhooks.services import (
    DEFAULT_SECRET_OVERLAP_HOURS,
    WebhookNotRetryable,
    webhook_is_retryable,
    webhook_retry,
    webhook_retry_many,
    webhook_secret_rotate,
)


@admin.register(Webhook)
class WebhookAdmin(ObjectButtonsMixin, ViewOnlyAdmin):
    # Status first: it is what an operator scans for, and it must not scroll out of sight.
    list_display = [
        "created_at",
        "status",
        "integration_code",
        "source",
        "event_type",
        "external_id",
        "signature_verified",
        "retries",
        "next_retry_at",
        "short_error",
    ]
    list_filter = [
        "status",
        "source",
        ("integration", admin.RelatedOnlyFieldListFilter),
        "event_type",
        "signature_verified",
        "rejected",
        "created_at",
        "next_retry_at",
    ]
    search_fields = ["event_type", "external_id", "error_message", "integration__code"]
    actions = ["retry_selected"]
    list_select_related = ["integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "event_type",
        "source",
        "external_id",
        "status",
        "processed_at",
        "retry_count",
        "max_retries",
        "next_retry_at",
        "locked_until",
        "enqueued_at",
        "error_message",
        "signature",
        "signature_verified",
        "rejected",
        "payload_pretty",
        "headers_pretty",
        "metadata_pretty",
        "created_at",
        "updated_at",
    ]
    exclude = ["payload", "headers", "metadata"]

    def object_buttons(self, request: HttpRequest) -> list[ObjectButton]:
        return [
            ObjectButton(
                name="retry",
                label="Retry",
                action="retry_selected",
                run=self._retry,
                applies=webhook_is_retryable,
            )
        ]

    def _retry(self, request: HttpRequest, webhook: Webhook) -> None:
        try:
            webhook_retry(webhook=webhook)
        except WebhookNotRetryable as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, "Webhook queued to be processed again.")

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: Webhook) -> str:
        return obj.integration.code if obj.integration else "—"

    @admin.display(description="Tries", ordering="retry_count")
    def retries(self, obj: Webhook) -> str:
        return f"{obj.retry_count} / {obj.max_retries}"

    @admin.display(description="Last error")
    def short_error(self, obj: Webhook) -> str:
        return short(obj.error_message, 60)

    @admin.display(description="Payload")
    def payload_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="Headers")
    def headers_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.headers, redact_keys=True)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.metadata)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # A retry changes the webhook's state: for who may change webhooks, not a viewer.
        return request.user.has_perm("webhooks.change_webhook")

    @admin.action(
        description="Retry selected webhooks (failed, or ignored but not rejected)",
        permissions=["retry"],
    )
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        report = webhook_retry_many(webhooks=queryset)
        self.message_user(
            request,
            f"Retried {report.retried} webhook(s); "
            f"skipped {report.skipped} that cannot be retried.",
            messages.SUCCESS if report.retried else messages.WARNING,
        )


@register_integration_action(
    button="Rotate webhook secret",
    confirm=(
        "This replaces the integration's webhook secret with a new one, shown once on the next "
        f"page. The old secret keeps working for {DEFAULT_SECRET_OVERLAP_HOURS} hours, so the "
        "sender can switch over without a refused delivery."
    ),
)
@admin.action(
    description=f"Rotate webhook secret (the old one keeps working for "
    f"{DEFAULT_SECRET_OVERLAP_HOURS} h)",
    # Replacing a credential is a change to the integration, not something a viewer may do.
    permissions=["change"],
)
def rotate_webhook_secret(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Integration]
) -> TemplateResponse:
    """Show the new secrets on a page of their own, once: not in a flash message, which would
    keep them in a cookie or the session until the next page."""
    rotated = [
        (integration, webhook_secret_rotate(integration=integration, actor=request_actor(request)))
        for integration in queryset.filter(deleted_at__isnull=True)
    ]
    response = TemplateResponse(
        request,
        "admin/webhooks/rotated_webhook_secrets.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "New webhook secrets",
            "rotated": rotated,
            "opts": modeladmin.model._meta,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
