"""The hub's admin site: the stock one, with the dashboard as its first page.

``VendHubAdminConfig`` (``operations.apps``) makes this the default site, so every
``@admin.register`` lands here. Two views join the site's own URLs, both behind ``admin_view``
(a staff login): the JSON the dashboard polls for sync progress, and the one-click retry of a
failed webhook (a POST with the CSRF token, through the same service as the API's retry).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from operations.charts import webhook_chart_svg
from operations.selectors import dashboard_get, sync_job_progress_list
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import WebhookNotRetryable, webhook_retry, webhook_retry_many


class VendHubAdminSite(admin.AdminSite):
    index_template = "admin/dashboard.html"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        own = [
            path(
                "dashboard/sync-progress.json",
                self.admin_view(self.sync_progress_view),
                name="dashboard_sync_progress",
            ),
            path(
                "dashboard/webhooks/<uuid:webhook_id>/retry",
                self.admin_view(self.webhook_retry_view),
                name="dashboard_webhook_retry",
            ),
            path(
                "dashboard/webhooks/retry-group",
                self.admin_view(self.webhook_retry_group_view),
                name="dashboard_webhook_retry_group",
            ),
        ]
        return own + super().get_urls()

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        dashboard = dashboard_get()
        context = {
            "dashboard": dashboard,
            "overall_chart": webhook_chart_svg(dashboard.overall),
            "integration_charts": [
                (series, webhook_chart_svg(series, width=340, height=110, compact=True))
                for series in dashboard.per_integration
            ],
            "can_retry": request.user.has_perm("webhooks.change_webhook"),
            "progress_url": reverse("admin:dashboard_sync_progress", current_app=self.name),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)

    def sync_progress_view(self, request: HttpRequest) -> HttpResponse:
        """The sync jobs' progress as JSON: what the dashboard's bars poll (staff only)."""
        response = JsonResponse({"jobs": sync_job_progress_list(now=timezone.now())})
        response["Cache-Control"] = "no-store"
        return response

    def webhook_retry_view(self, request: HttpRequest, webhook_id: UUID) -> HttpResponse:
        return _webhook_retry(request, webhook_id=webhook_id, site_name=self.name)

    def webhook_retry_group_view(self, request: HttpRequest) -> HttpResponse:
        return _webhook_retry_group(request, site_name=self.name)


@require_POST
def _webhook_retry(request: HttpRequest, *, webhook_id: UUID, site_name: str) -> HttpResponse:
    if not request.user.has_perm("webhooks.change_webhook"):
        raise PermissionDenied
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    try:
        webhook_retry(webhook=webhook)
    except WebhookNotRetryable as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Webhook {webhook.pk} ({webhook.event_type}) was sent back to pending."
        )
    return HttpResponseRedirect(reverse("admin:index", current_app=site_name))


@require_POST
def _webhook_retry_group(request: HttpRequest, *, site_name: str) -> HttpResponse:
    """ "Retry all" of one dashboard group: every failed webhook of that integration with that
    error, each through the same retry service as the API's."""
    if not request.user.has_perm("webhooks.change_webhook"):
        raise PermissionDenied
    integration = request.POST.get("integration") or None
    error_message = request.POST.get("error_message", "")
    try:
        integration_id = UUID(integration) if integration else None
    except ValueError:
        messages.error(request, "Not an integration id.")
        return HttpResponseRedirect(reverse("admin:index", current_app=site_name))
    group = Webhook.objects.filter(status=WebhookStatus.FAILED)
    group = (
        group.filter(integration_id=integration_id)
        if integration_id
        else group.filter(integration__isnull=True)
    )
    group = (
        group.filter(error_message=error_message)
        if error_message
        else group.filter(Q(error_message="") | Q(error_message__isnull=True))
    )
    report = webhook_retry_many(webhooks=group.order_by("created_at"))
    messages.success(
        request,
        f"{report.retried} webhook(s) sent back to pending"
        + (f"; {report.skipped} could not be retried." if report.skipped else "."),
    )
    return HttpResponseRedirect(reverse("admin:index", current_app=site_name))
