"""Admin screens for stored webhooks, with each one's timeline of processing attempts; the retry
and replay actions (also buttons on a webhook's page); and the webhook secret's rotation (an
action added to the integration list, and a button on an integration's page that asks first)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.api.permissions import request_actor
from integrations.admin import register_integration_action
from integrations.admin.base import (
    ObjectButton,
    ObjectButtonsMixin,
    ViewOnlyAdmin,
    pretty_json,
    short,
)
from integrations.models import Integration, IntegrationLog
from webhooks.models import Webhook, WebhookAttempt
from webhooks.selectors import webhook_attempt_list
from webhooks.services import (
    DEFAULT_SECRET_OVERLAP_HOURS,
    WebhookNotReplayable,
    WebhookNotRetryable,
    webhook_is_replayable,
    webhook_is_retryable,
    webhook_replay,
    webhook_replay_many,
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
    actions = ["retry_selected", "replay_selected"]
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
        "attempt_count",
        "retry_count",
        "max_retries",
        "next_retry_at",
        "locked_until",
        "enqueued_at",
        "error_message",
        "attempts_timeline",
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
            ),
            ObjectButton(
                name="replay",
                label="Replay",
                action="replay_selected",
                run=self._replay,
                applies=webhook_is_replayable,
                confirm=(
                    "This processes the webhook again: its handlers run and it is forwarded "
                    "once more, even if it completed. Its earlier attempts are kept."
                ),
            ),
        ]

    def _retry(self, request: HttpRequest, webhook: Webhook) -> None:
        try:
            webhook_retry(webhook=webhook)
        except WebhookNotRetryable as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, "Webhook queued to be processed again.")

    def _replay(self, request: HttpRequest, webhook: Webhook) -> None:
        try:
            webhook_replay(webhook=webhook)
        except WebhookNotReplayable as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, "Webhook queued to be replayed.")

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: Webhook) -> str:
        return obj.integration.code if obj.integration else "—"

    @admin.display(description="Tries", ordering="attempt_count")
    def retries(self, obj: Webhook) -> int:
        # The attempt rows' count, as the API, the dashboard and error_message give it.
        return obj.attempt_count

    @admin.display(description="Attempts")
    def attempts_timeline(self, obj: Webhook) -> SafeString | str:
        attempts = list(webhook_attempt_list(webhook=obj))
        if not attempts:
            return "Not processed yet."
        # Logs have a shorter retention than failed webhooks: link only to those still kept.
        log_ids = [attempt.integration_log_id for attempt in attempts if attempt.integration_log_id]
        kept = set(
            IntegrationLog.objects.filter(pk__in=log_ids).values_list("pk", flat=True)
            if log_ids
            else []
        )
        rows = format_html_join(
            "",
            '<tr class="vh-attempt vh-attempt-{}" data-number="{}"><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (self._attempt_cells(attempt, kept) for attempt in attempts),
        )
        return format_html(
            '<table id="vh-attempts"><thead><tr><th>#</th><th>Started</th><th>Duration</th>'
            "<th>HTTP status</th><th>Outcome</th><th>Error</th><th>Log</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    def _attempt_cells(self, attempt: WebhookAttempt, kept: set[UUID]) -> tuple[object, ...]:
        log: SafeString | str
        if attempt.integration_log_id in kept:
            url = reverse(
                "admin:integrations_integrationlog_change",
                args=[attempt.integration_log_id],
                current_app=self.admin_site.name,
            )
            log = format_html('<a href="{}">log</a>', url)
        elif attempt.integration_log_id:
            log = "deleted by retention"
        else:
            log = "—"
        return (
            attempt.outcome,
            attempt.number,
            attempt.number,
            # In the admin's time zone, as its other times; to the millisecond, as tries are quick.
            timezone.localtime(attempt.started_at).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            f"{attempt.duration_ms} ms" if attempt.duration_ms is not None else "unknown",
            attempt.status_code if attempt.status_code is not None else "—",
            attempt.get_outcome_display(),
            attempt.error or "",
            log,
        )

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

    @admin.action(
        description="Replay selected webhooks (completed, failed, or ignored but not rejected)",
        permissions=["retry"],
    )
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        report = webhook_replay_many(webhooks=queryset)
        self.message_user(
            request,
            f"Replayed {report.replayed} webhook(s); "
            f"skipped {report.skipped} that cannot be replayed.",
            messages.SUCCESS if report.replayed else messages.WARNING,
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
