"""Every change of a stored secret is recorded (who, when, which field; never the value) by the
API, the admin, the rotation and Payme's ChangePassword, and shown read-only in the admin."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from integrations.models import Integration, SecretChange
from integrations.services import integration_update
from integrations.tests.factories import IntegrationFactory
from payments.tests.helpers import PAYME_KEY, gateway_integration, payme_call

pytestmark = pytest.mark.django_db

KEY_VALUE = "plain-key-77aa1c"
NEW_KEY_VALUE = "plain-key-new-0c41"
HOOK_VALUE = "plain-hook-secret-9e3f"
VALUES = (KEY_VALUE, NEW_KEY_VALUE, HOOK_VALUE, "brand-new-payme-key-5")


def changes(integration: Integration) -> list[tuple[str, str, str]]:
    return list(
        SecretChange.objects.filter(integration=integration)
        .order_by("changed_at", "field")
        .values_list("field", "action", "actor")
    )


def assert_no_value_recorded() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integration_secret_changes")
        stored = repr(cursor.fetchall())
    for value in VALUES:
        assert value not in stored


@pytest.fixture
def named_key_client() -> APIClient:
    _, key = APIKey.objects.create_key(name="erp-bot")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_api_records_set_changed_cleared_by_the_key_name(named_key_client):
    body = {
        "name": "ERP",
        "code": "erp-secrets",
        "type": "erp",
        "provider": "rest",
        "api_key": KEY_VALUE,
        "webhook_secret": HOOK_VALUE,
    }
    created = named_key_client.post("/api/integrations", body, format="json")
    assert created.status_code == 201
    integration = Integration.objects.get(pk=created.json()["id"])
    assert changes(integration) == [
        ("api_key", "set", "api key erp-bot"),
        ("webhook_secret", "set", "api key erp-bot"),
    ]
    url = f"/api/integrations/{integration.pk}"

    # The same value again, or no secret in the body, changes nothing and records nothing.
    assert named_key_client.patch(url, {"api_key": KEY_VALUE}, format="json").status_code == 200
    assert named_key_client.patch(url, {"name": "ERP 2"}, format="json").status_code == 200
    assert len(changes(integration)) == 2

    assert named_key_client.patch(url, {"api_key": NEW_KEY_VALUE}, format="json").status_code == 200
    assert named_key_client.patch(url, {"webhook_secret": ""}, format="json").status_code == 200
    assert changes(integration)[2:] == [
        ("api_key", "changed", "api key erp-bot"),
        ("webhook_secret", "cleared", "api key erp-bot"),
    ]
    # A refused write records nothing.
    refused = named_key_client.patch(url, {"api_key": "x", "code": "NOT VALID"}, format="json")
    assert refused.status_code == 400
    assert len(changes(integration)) == 4
    assert_no_value_recorded()


def test_a_staff_session_is_recorded_as_the_user(staff_client, admin_user):
    integration = IntegrationFactory()
    response = staff_client.patch(
        f"/api/integrations/{integration.pk}", {"api_secret": KEY_VALUE}, format="json"
    )
    assert response.status_code == 200
    assert changes(integration) == [("api_secret", "set", f"user {admin_user.username}")]


def test_rotation_and_a_plain_update_after_it(named_key_client):
    integration = IntegrationFactory(webhook_secret=HOOK_VALUE)
    rotated = named_key_client.post(
        f"/api/integrations/{integration.pk}/rotate-webhook-secret", {}, format="json"
    )
    assert rotated.status_code == 200
    assert changes(integration) == [("webhook_secret", "rotated", "api key erp-bot")]

    integration.refresh_from_db()
    integration_update(integration=integration, data={"webhook_secret": NEW_KEY_VALUE})
    assert sorted(changes(integration)[1:]) == [
        ("previous_webhook_secret", "cleared", "system"),
        ("webhook_secret", "changed", "system"),
    ]
    assert_no_value_recorded()


def test_the_admin_form_and_the_rotate_action_record_the_user(admin_client, admin_user):
    integration = IntegrationFactory(webhook_secret=HOOK_VALUE)
    url = f"/admin/integrations/integration/{integration.id}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "config": form["config"].value(),
            "metadata": form["metadata"].value(),
            "next_sync_at_0": "",
            "next_sync_at_1": "",
            "api_key_input": KEY_VALUE,
            "clear_webhook_secret": "on",
        }
    )
    data.pop("next_sync_at", None)
    assert admin_client.post(url, data).status_code == 302
    actor = f"user {admin_user.username}"
    assert changes(integration) == [
        ("api_key", "set", actor),
        ("webhook_secret", "cleared", actor),
    ]

    admin_client.post(
        "/admin/integrations/integration/",
        {"action": "rotate_webhook_secret", "_selected_action": [str(integration.pk)]},
    )
    assert changes(integration)[-1] == ("webhook_secret", "rotated", actor)


def test_payme_change_password_is_recorded_as_payme(client):
    payme = gateway_integration(code="payme", provider="payme", api_secret=PAYME_KEY)
    answer = payme_call(client, payme.code, "ChangePassword", {"password": VALUES[3]})
    assert answer["result"] == {"success": True}
    assert changes(payme) == [("api_secret", "changed", "payme")]
    assert_no_value_recorded()


def test_the_admin_shows_the_record_read_only_and_never_a_value(admin_client, admin_user):
    integration = IntegrationFactory()
    integration_update(
        integration=integration, data={"api_key": KEY_VALUE}, actor="user someone-else"
    )
    [change] = SecretChange.objects.filter(integration=integration)

    listing = admin_client.get("/admin/integrations/secretchange/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "user someone-else" in text and integration.code in text
    page = admin_client.get(f"/admin/integrations/integration/{integration.pk}/change/")
    text = page.content.decode()
    assert "Secret changes" in text and "user someone-else" in text
    for response in (listing, page):
        assert KEY_VALUE not in response.content.decode()

    # Read-only, even for a superuser: no add, no edit, no delete.
    assert admin_client.get("/admin/integrations/secretchange/add/").status_code == 403
    detail = admin_client.get(f"/admin/integrations/secretchange/{change.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    deleted = admin_client.post(
        f"/admin/integrations/secretchange/{change.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert SecretChange.objects.filter(pk=change.pk).exists()
