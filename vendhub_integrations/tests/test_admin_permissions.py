"""The admin is for staff with model permissions, screen by screen: a staff user without any
gets 403 on every list, page, action and button; with view permission sees but cannot change
(no save, no action, no button) and never sees a secret; change permission brings the actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.models import Alert, IntegrationLog, SecretChange
from integrations.services import integration_update
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from payments.models import FiscalReceipt, PaymentTransaction
from payments.services import invoice_create
from syncjobs.models import SyncJob, SyncJobStatus
from syncjobs.tests.factories import SyncedRecordFactory, SyncJobFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

API_KEY = "perm-test-api-key-5521"
API_SECRET = "perm-test-api-secret-8c1e"
WEBHOOK_SECRET = "perm-test-webhook-secret-19fd"
SECRETS = (API_KEY, API_SECRET, WEBHOOK_SECRET)
# The buttons and actions that change something; a viewer must see none of them.
CHANGING_CONTROLS = ("Retry", "Cancel", "Test connection", "Sync now", "Rotate webhook secret")


@pytest.fixture
def objects() -> dict[type[models.Model], models.Model]:
    """One row of each of the hub's admin screens."""
    integration = IntegrationFactory(
        api_key=API_KEY, api_secret=API_SECRET, webhook_secret=WEBHOOK_SECRET
    )
    integration_update(integration=integration, data={"api_key": API_KEY + "-2"}, actor="setup")
    invoice = invoice_create(order_id="perm-1", amount=100_000)
    payment = PaymentTransaction.objects.create(
        integration=integration,
        provider="payme",
        provider_transaction_id="perm-tx-1",
        invoice=invoice,
        amount=100_000,
        state=1,
        create_time=int(timezone.now().timestamp() * 1000),
    )
    found: dict[type[models.Model], models.Model] = {
        type(integration): integration,
        IntegrationLog: IntegrationLogFactory(integration=integration),
        SecretChange: SecretChange.objects.get(integration=integration),
        Webhook: WebhookFactory(integration=integration, status=WebhookStatus.FAILED),
        SyncJob: SyncJobFactory(integration=integration, status=SyncJobStatus.RUNNING),
        type(invoice): invoice,
        PaymentTransaction: payment,
    }
    record = SyncedRecordFactory(integration=integration)
    found[type(record)] = record
    found[FiscalReceipt] = FiscalReceipt.objects.create(
        invoice=invoice,
        transaction=payment,
        provider="payme",
        kind="sale",
        status="fiscalized",
        receipt_id="121",
        terminal_id="EP000000000025",
        fiscal_sign="800031554082",
        qr_code_url="https://ofd.soliq.uz/epi?t=EP000000000025&r=121&c=20260115140321&s=800031554082",
    )
    now = timezone.now()
    found[Alert] = Alert.objects.create(
        channel=IntegrationFactory(provider="telegram"),
        event="webhook.failed",
        integration=integration,
        group_key=f"webhook.failed:{integration.pk}",
        count=2,
        message="VendHub alert: webhook.failed",
        status="sent",
        first_event_at=now,
        last_event_at=now,
        not_before=now,
        due_at=now,
        sent_at=now,
    )
    return found


def hub_models() -> list[type[models.Model]]:
    apps = {"integrations", "webhooks", "syncjobs", "payments"}
    return [model for model in admin.site._registry if model._meta.app_label in apps]


def url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def staff(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=name)
        )
    client = Client()
    client.force_login(user)
    return client


def test_every_hub_screen_has_a_row_in_the_fixture(objects):
    assert set(hub_models()) == set(objects)


def test_staff_without_permissions_is_refused_every_screen(django_user_model, objects):
    client = staff(django_user_model)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "permission to view or edit anything" in index.content.decode()
    for model in admin.site._registry:
        assert client.get(url(model, "changelist")).status_code == 403, model
        assert client.get(url(model, "add")).status_code == 403, model
    for model, obj in objects.items():
        assert client.get(url(model, "change", obj.pk)).status_code == 403, model
        assert client.post(url(model, "change", obj.pk), {}).status_code == 403, model
        assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    integration, webhook, job = (
        objects[type(objects[Webhook].integration)],
        objects[Webhook],
        objects[SyncJob],
    )
    for model, obj, button in (
        (Webhook, webhook, "retry"),
        (SyncJob, job, "cancel"),
        (type(integration), integration, "test_connection"),
        (type(integration), integration, "rotate_webhook_secret"),
    ):
        assert client.post(url(model, "button", obj.pk, button)).status_code == 403, button
    assert (
        client.post(
            url(Webhook, "changelist"),
            {"action": "retry_selected", "_selected_action": [webhook.pk]},
        ).status_code
        == 403
    )
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED


@pytest.fixture
def viewer(django_user_model) -> Client:
    return staff(
        django_user_model,
        *(f"{model._meta.app_label}.view_{model._meta.model_name}" for model in hub_models()),
    )


def test_view_permission_shows_every_screen_without_a_way_to_change(viewer, objects):
    for model, obj in objects.items():
        listing = viewer.get(url(model, "changelist"))
        assert listing.status_code == 200, model
        assert 'name="action"' not in listing.content.decode(), model
        page = viewer.get(url(model, "change", obj.pk))
        assert page.status_code == 200, model
        text = page.content.decode()
        assert 'name="_save"' not in text, model
        for control in CHANGING_CONTROLS:
            assert f">{control}<" not in text, (model, control)
        for secret in SECRETS:
            assert secret not in text and secret not in listing.content.decode()
        assert viewer.get(url(model, "add")).status_code == 403, model


def test_view_permission_cannot_change_act_or_press_a_button(viewer, objects):
    integration, webhook, job = (
        objects[type(objects[Webhook].integration)],
        objects[Webhook],
        objects[SyncJob],
    )
    name = integration.name
    assert (
        viewer.post(url(type(integration), "change", integration.pk), {"name": "X"}).status_code
        == 403
    )
    integration.refresh_from_db()
    assert integration.name == name

    for model, obj, button in (
        (Webhook, webhook, "retry"),
        (SyncJob, job, "cancel"),
        (type(integration), integration, "test_connection"),
        (type(integration), integration, "trigger_sync"),
        (type(integration), integration, "rotate_webhook_secret"),
    ):
        assert viewer.post(url(model, "button", obj.pk, button)).status_code == 403, button

    for model, action, obj in (
        (Webhook, "retry_selected", webhook),
        (SyncJob, "cancel_jobs", job),
        (type(integration), "soft_delete_selected", integration),
        (type(integration), "rotate_webhook_secret", integration),
    ):
        viewer.post(url(model, "changelist"), {"action": action, "_selected_action": [obj.pk]})
    webhook.refresh_from_db()
    job.refresh_from_db()
    integration.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED
    assert job.status == SyncJobStatus.RUNNING
    assert integration.deleted_at is None
    assert not SecretChange.objects.filter(action="rotated").exists()


def test_change_permission_brings_the_actions_and_buttons(django_user_model, objects):
    client = staff(
        django_user_model,
        "webhooks.view_webhook",
        "webhooks.change_webhook",
        "syncjobs.view_syncjob",
        "syncjobs.change_syncjob",
    )
    webhook, job = objects[Webhook], objects[SyncJob]
    assert ">Retry<" in client.get(url(Webhook, "change", webhook.pk)).content.decode()
    assert ">Cancel<" in client.get(url(SyncJob, "change", job.pk)).content.decode()
    client.post(url(Webhook, "button", webhook.pk, "retry"))
    client.post(url(SyncJob, "changelist"), {"action": "cancel_jobs", "_selected_action": [job.pk]})
    webhook.refresh_from_db()
    job.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING
    assert job.status == SyncJobStatus.CANCELLED
    # Still nothing on integrations without their permissions.
    assert client.get(url(type(objects[Webhook].integration), "changelist")).status_code == 403
