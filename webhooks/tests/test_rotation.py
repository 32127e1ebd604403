"""Rotating an integration's webhook secret: API and admin, with the previous secret's overlap."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = pytest.mark.django_db


def rotate_url(integration: Integration) -> str:
    return f"/api/integrations/{integration.id}/rotate-webhook-secret"


def test_rotation_generates_a_secret_and_keeps_the_old_one_for_24_hours(
    api_client, anonymous_client, integration
):
    response = api_client.post(rotate_url(integration))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    new_secret = response.json()["webhook_secret"]
    assert len(new_secret) >= 32 and new_secret != SECRET
    expires_at = parse_datetime(response.json()["previous_webhook_secret_expires_at"])
    assert expires_at is not None
    assert abs((expires_at - timezone.now()) - timedelta(hours=24)) < timedelta(minutes=1)

    integration.refresh_from_db()
    assert integration.webhook_secret == new_secret
    assert integration.previous_webhook_secret == SECRET
    assert integration.previous_webhook_secret_expires_at == expires_at

    assert (
        post_signed(anonymous_client, integration.code, {"id": "a"}, secret=new_secret).status_code
        == 202
    )
    assert post_signed(anonymous_client, integration.code, {"id": "b"}).status_code == 202
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        assert post_signed(anonymous_client, integration.code, {"id": "c"}).status_code == 401
        assert (
            post_signed(
                anonymous_client, integration.code, {"id": "d"}, secret=new_secret
            ).status_code
            == 202
        )


def test_rotation_with_a_given_secret_and_overlap(api_client, anonymous_client, integration):
    response = api_client.post(
        rotate_url(integration),
        {"webhook_secret": "chosen-by-operator-1234", "overlap_hours": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["webhook_secret"] == "chosen-by-operator-1234"
    expires_at = parse_datetime(response.json()["previous_webhook_secret_expires_at"])
    assert expires_at is not None
    assert abs((expires_at - timezone.now()) - timedelta(hours=1)) < timedelta(minutes=1)
    chosen = post_signed(
        anonymous_client, integration.code, {"id": "a"}, secret="chosen-by-operator-1234"
    )
    assert chosen.status_code == 202
    assert post_signed(anonymous_client, integration.code, {"id": "b"}).status_code == 202


def test_rotation_without_overlap_drops_the_old_secret(api_client, anonymous_client, integration):
    response = api_client.post(rotate_url(integration), {"overlap_hours": 0}, format="json")
    assert response.json()["previous_webhook_secret_expires_at"] is None
    assert post_signed(anonymous_client, integration.code, {"id": "b"}).status_code == 401


def test_standard_webhooks_integration_gets_a_whsec_secret(api_client):
    integration = IntegrationFactory(provider="svix", webhook_secret="whsec_" + "A" * 32)
    secret = api_client.post(rotate_url(integration)).json()["webhook_secret"]
    assert secret.startswith("whsec_")


def test_rotation_input_errors_and_access(api_client, anonymous_client, integration):
    bad = api_client.post(rotate_url(integration), {"overlap_hours": -1}, format="json")
    assert bad.status_code == 400
    assert "overlap_hours" in bad.json()
    assert anonymous_client.post(rotate_url(integration)).status_code in (401, 403)
    missing = api_client.post(
        "/api/integrations/9f0c1d1e-1111-4b4b-8c8c-000000000000/rotate-webhook-secret/"
    )
    assert missing.status_code == 404


def test_the_new_secret_is_never_shown_again(api_client, integration):
    new_secret = api_client.post(rotate_url(integration)).json()["webhook_secret"]
    detail = api_client.get(f"/api/integrations/{integration.id}").content.decode()
    assert new_secret not in detail
    assert SECRET not in detail


def test_admin_action_rotates_and_shows_the_secret_once(admin_client, integration):
    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": "rotate_webhook_secret", "_selected_action": [str(integration.pk)]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    integration.refresh_from_db()
    page = response.content.decode()
    assert integration.webhook_secret in page
    assert integration.previous_webhook_secret == SECRET
    assert SECRET not in page
    change_page = admin_client.get(f"/admin/integrations/integration/{integration.pk}/change/")
    assert integration.webhook_secret not in change_page.content.decode()


@pytest.mark.parametrize(
    ("written", "previous_verifies"),
    [("2999-01-01T00:00:00", True), ("2000-01-01T00:00:00", False), ("2999-13-45T00:00", False)],
    ids=["naive-future", "naive-past", "not-a-date"],
)
def test_an_expiry_written_by_hand_is_read_not_a_500(
    api_client, anonymous_client, integration, written, previous_verifies
):
    """config is writable through the API and the admin: an expiry without an offset is UTC, one
    that is no date is refused (and no overlap starts); either way deliveries keep being
    received."""
    integration.previous_webhook_secret = "the-previous-secret"
    integration.save()
    api_client.patch(
        f"/api/integrations/{integration.id}",
        {"config": {"previous_webhook_secret_expires_at": written}},
        format="json",
    )
    assert post_signed(anonymous_client, integration.code, {"id": "a"}).status_code == 202
    old = post_signed(anonymous_client, integration.code, {"id": "b"}, secret="the-previous-secret")
    assert old.status_code == (202 if previous_verifies else 401)


@pytest.mark.parametrize("new_secret", ["plainly-updated-1", None], ids=["replaced", "cleared"])
def test_a_plain_update_of_the_secret_ends_a_running_overlap(
    api_client, anonymous_client, integration, new_secret
):
    """Rotation keeps the old secret for a while; a plain update replaces with no overlap, also
    for a secret still overlapping from an earlier rotation (e.g. one that leaked)."""
    api_client.post(rotate_url(integration))
    response = api_client.patch(
        f"/api/integrations/{integration.id}", {"webhook_secret": new_secret}, format="json"
    )
    assert response.status_code == 200, response.content
    if new_secret:
        assert post_signed(anonymous_client, integration.code, {"id": "old"}).status_code == 401
    integration.refresh_from_db()
    assert integration.previous_webhook_secret is None
    assert integration.previous_webhook_secret_expires_at is None
