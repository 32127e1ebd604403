"""The kept integration: an integration read by an earlier request is used only while its row is
unchanged, checked in the INSERT itself (``webhooks.kept_integrations``). Every change an
operator can make between two deliveries must be seen by the second one, and what the kept
integration cannot answer is answered once, from a fresh read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from integrations.models import Integration, IntegrationLog
from integrations.providers import PROVIDERS
from integrations.services import integration_delete
from webhooks import inbound, kept_integrations
from webhooks.models import Webhook, WebhookStatus
from webhooks.signatures.schemes import HmacSha256Scheme
from webhooks.tests.helpers import SECRET, hmac_hex, post_signed, receive_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def warm(integration, monkeypatch):
    """``integration`` with one delivery received, so the next one finds it kept."""
    monkeypatch.setattr("webhooks.tasks.process_webhook.apply_async", lambda *a, **k: None)
    assert post_signed(Client(), integration.code, {"id": "evt_warm"}).status_code == 202
    assert kept_integrations.kept(integration.code) is not None
    return integration


def _rows(integration: Integration, external_id: str) -> int:
    return Webhook.objects.filter(integration=integration, external_id=external_id).count()


def test_a_deactivated_integration_answers_503_at_once(warm):
    Integration.objects.filter(pk=warm.pk).update(status="inactive")  # no save(), no signal

    response = post_signed(Client(), warm.code, {"id": "evt_after"})

    assert response.status_code == 503
    assert _rows(warm, "evt_after") == 0
    assert kept_integrations.kept(warm.code) is None


def test_a_soft_deleted_integration_answers_404(warm):
    integration_delete(integration=warm)

    response = post_signed(Client(), warm.code, {"id": "evt_after"})

    assert response.status_code == 404
    assert _rows(warm, "evt_after") == 0


def test_a_replaced_secret_refuses_the_old_one_and_takes_the_new(warm):
    warm.webhook_secret = "a-brand-new-secret"
    warm.save()
    client = Client()

    old = post_signed(client, warm.code, {"id": "evt_old_secret"})
    new = post_signed(client, warm.code, {"id": "evt_new_secret"}, secret="a-brand-new-secret")

    assert old.status_code == 401
    assert new.status_code == 202
    # The refused one is stored once, as rejected; the kept integration wrote nothing of its own.
    assert Webhook.objects.filter(external_id="evt_old_secret").count() == 1
    assert Webhook.objects.get(external_id="evt_old_secret").rejected is True


def test_a_config_change_is_seen_by_the_next_delivery(warm):
    warm.config = {**warm.config, "signature_header": "X-Other-Signature"}
    warm.save()
    body = json.dumps({"id": "evt_header"}).encode()

    response = Client().post(
        receive_url(warm.code),
        data=body,
        content_type="application/json",
        headers={"X-Other-Signature": hmac_hex(SECRET, body)},
    )

    assert response.status_code == 202, response.content


def test_a_rate_limit_set_later_is_applied(warm):
    warm.config = {**warm.config, "rate_limit_per_minute": 1}
    warm.save()
    client = Client()

    first = post_signed(client, warm.code, {"id": "evt_limited_1"})
    second = post_signed(client, warm.code, {"id": "evt_limited_2"})

    assert (first.status_code, second.status_code) == (202, 429)
    assert _rows(warm, "evt_limited_2") == 0
    # An integration with a limit is never kept.
    assert kept_integrations.kept(warm.code) is None


def test_a_duplicate_for_a_kept_integration_is_answered_200_with_the_original(warm):
    response = post_signed(Client(), warm.code, {"id": "evt_warm"})

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert _rows(warm, "evt_warm") == 1


def test_a_bad_signature_for_a_kept_integration_is_stored_once_as_rejected(warm):
    response = post_signed(Client(), warm.code, {"id": "evt_forged"}, secret="not-the-secret")

    assert response.status_code == 401
    assert _rows(warm, "evt_forged") == 1
    assert Webhook.objects.get(external_id="evt_forged").status == WebhookStatus.IGNORED
    logs = IntegrationLog.objects.filter(integration=warm, status_code=401)
    assert logs.count() == 1


def test_an_integration_turned_gateway_is_answered_by_its_protocol_with_the_body(warm, monkeypatch):
    """The row changed after the kept integration read the body: the protocol still reads it."""
    gateway = "webhooks.tests.test_receive_stored.GatewayProvider"
    monkeypatch.setitem(PROVIDERS, "test-gateway", gateway)
    Integration.objects.filter(pk=warm.pk).update(provider="test-gateway")

    response = post_signed(Client(), warm.code, {"method": "x"})

    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "code": warm.code, "body": '{"method": "x"}'}
    assert kept_integrations.kept(warm.code) is None


def test_a_refused_signature_leaves_the_kept_statement_with_nothing_written(integration):
    client = Client()
    assert post_signed(client, integration.code, {"id": "evt-warm"}).status_code == 202
    assert kept_integrations.kept(integration.code) is not None

    response = post_signed(client, integration.code, {"id": "evt-bad"}, secret="not-the-secret")

    assert response.status_code == 401
    # Stored once, through the ORM, as the contract says: rejected and ignored.
    rejected = Webhook.objects.get(external_id="evt-bad")
    assert (rejected.rejected, rejected.status) == (True, "ignored")


def test_a_refused_signature_is_verified_once_and_its_body_parsed_once(warm, monkeypatch):
    verified: list[bytes] = []
    parsed: list[bytes] = []
    real_verify = HmacSha256Scheme.verify
    real_parse = inbound.parse_payload

    def counted_verify(self, request, **kwargs):
        verified.append(request.body)
        return real_verify(self, request, **kwargs)

    def counted_parse(body, headers):
        parsed.append(body)
        return real_parse(body, headers)

    monkeypatch.setattr(HmacSha256Scheme, "verify", counted_verify)
    monkeypatch.setattr(inbound, "parse_payload", counted_parse)

    response = post_signed(Client(), warm.code, {"id": "evt_forged"}, secret="not-the-secret")

    assert response.status_code == 401
    assert (len(verified), len(parsed)) == (1, 1)
    assert _rows(warm, "evt_forged") == 1


def test_a_body_too_large_for_a_kept_integration_is_413(warm, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 64
    response = post_signed(Client(), warm.code, {"id": "evt_big", "pad": "x" * 200})

    assert response.status_code == 413
    assert _rows(warm, "evt_big") == 0


def test_a_body_too_large_for_a_deactivated_integration_is_503(warm, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 64
    Integration.objects.filter(pk=warm.pk).update(status="inactive")

    response = post_signed(Client(), warm.code, {"id": "evt_big", "pad": "x" * 200})

    assert response.status_code == 503


def test_a_rotation_with_overlap_keeps_both_secrets_working(warm, api_client):
    rotated = api_client.post(
        f"/api/integrations/{warm.pk}/rotate-webhook-secret",
        {"webhook_secret": "the-next-secret", "overlap_hours": 1},
        format="json",
    )
    assert rotated.status_code == 200
    client = Client()

    old = post_signed(client, warm.code, {"id": "evt_old"})
    new = post_signed(client, warm.code, {"id": "evt_new"}, secret="the-next-secret")

    assert (old.status_code, new.status_code) == (202, 202)


def test_an_overlap_that_ends_by_the_clock_refuses_the_previous_secret(warm, api_client):
    api_client.post(
        f"/api/integrations/{warm.pk}/rotate-webhook-secret",
        {"webhook_secret": "the-next-secret", "overlap_hours": 1},
        format="json",
    )
    client = Client()
    assert post_signed(client, warm.code, {"id": "evt_in_overlap"}).status_code == 202
    assert kept_integrations.kept(warm.code) is not None
    # The overlap ends by the clock alone: the row does not change, so the kept row must not
    # keep the previous secret alive.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert post_signed(client, warm.code, {"id": "evt_past_overlap"}).status_code == 401
        next_one = post_signed(client, warm.code, {"id": "evt_next"}, secret="the-next-secret")
        assert next_one.status_code == 202


def test_a_code_taken_by_a_new_integration_is_not_served_the_old_row(warm):
    code = warm.code
    integration_delete(integration=warm)
    successor = Integration.objects.create(
        name="Successor", code=code, type="erp", provider="erp", status="active",
        webhook_secret="successor-secret",
    )  # fmt: skip

    response = post_signed(Client(), code, {"id": "evt_successor"}, secret="successor-secret")

    assert response.status_code == 202
    assert Webhook.objects.get(pk=response.json()["id"]).integration_id == successor.pk


@pytest.mark.parametrize("accept", ["text/html", "application/xml;q=0.9, text/plain"])
def test_an_accept_without_json_is_406_and_stores_nothing_though_kept(warm, accept):
    logs = IntegrationLog.objects.count()

    response = post_signed(Client(), warm.code, {"id": "evt_html"}, **{"Accept": accept})

    assert response.status_code == 406
    assert _rows(warm, "evt_html") == 0
    assert IntegrationLog.objects.count() == logs


def _touch(integration: Integration) -> None:
    """A write that changes nothing a delivery reads, but the row's version: what the scheduler's
    ``next_sync_at`` or a connection test does between two deliveries."""
    Integration.objects.filter(pk=integration.pk).update(name=integration.name + " (renamed)")


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("?format=xml", {}, 404),
        ("", {"Accept": "application/jsonl"}, 406),
        ("", {"Accept": "application/json-patch+json"}, 406),
    ],
)
def test_a_refused_negotiation_stores_nothing_once_the_kept_row_changed(
    warm, query, headers, status
):
    for _ in range(2):  # the sender delivers again after the refusal
        _touch(warm)
        body = json.dumps({"type": "order.created"}).encode()
        response = Client().post(
            receive_url(warm.code) + query,
            data=body,
            content_type="application/json",
            headers={"X-Signature": hmac_hex(SECRET, body), **headers},
        )
        assert response.status_code == status
    assert not Webhook.objects.filter(integration=warm, event_type="order.created").exists()


def test_a_refused_signature_with_a_format_override_is_refused_before_it_is_stored(warm):
    body = json.dumps({"id": "evt_bad"}).encode()
    response = Client().post(
        receive_url(warm.code) + "?format=xml",
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex("wrong-secret", body)},
    )

    assert response.status_code == 404
    assert _rows(warm, "evt_bad") == 0


def test_a_format_override_of_json_is_stored_as_any_delivery(warm):
    response = post_signed(Client(), warm.code, {"id": "evt_json"}, **{"Accept": "*/*"})
    assert response.status_code == 202
    body = json.dumps({"id": "evt_fmt"}).encode()
    response = Client().post(
        receive_url(warm.code) + "?format=json",
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 202
    assert _rows(warm, "evt_fmt") == 1
