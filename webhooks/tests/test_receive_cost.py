"""What a receive costs and commits: the statements of a first and a later delivery, the row
and its inbound log committed together before the answer, the message sent after the commit
(or left to the sweeper)."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client

from integrations.models import IntegrationLog
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.helpers import SECRET, hmac_hex, post_signed, receive_url

pytestmark = pytest.mark.django_db


# --- The cost of a receive -------------------------------------------------------------------


def _statements(captured) -> list[str]:
    return [query["sql"].split(" ", 1)[0].upper() for query in captured.captured_queries]


def _send_recorder(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(
        "webhooks.tasks.process_webhook.apply_async",
        lambda args, countdown=None: sent.append(args[0]),
    )
    return sent


@pytest.mark.django_db(transaction=True)
def test_a_first_delivery_costs_one_lookup_and_one_statement_writing_row_and_log(
    anonymous_client, integration, monkeypatch
):
    """Read the integration, then insert the webhook and its inbound log in one statement (its
    own transaction); then the message. No UPDATE per request (the row is stamped
    ``enqueued_at`` as it is inserted), no BEGIN/COMMIT round trips."""
    from django.test.utils import CaptureQueriesContext

    sent = _send_recorder(monkeypatch)
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_counted"})

    assert response.status_code == 202
    statements = _statements(captured)
    assert statements == ["SELECT", "WITH"], statements
    insert = captured.captured_queries[1]["sql"]
    assert 'INSERT INTO "webhooks"' in insert and 'INSERT INTO "integration_logs"' in insert
    webhook = Webhook.objects.get(external_id="evt_counted")
    assert webhook.enqueued_at is not None
    assert sent[-1] == str(webhook.id)
    log = IntegrationLog.objects.get(metadata__webhook_id=str(webhook.id))
    assert (log.direction, log.status_code, log.action) == ("inbound", 202, "webhook_receive")
    assert log.request_data["body"] == {"id": "evt_counted"}


@pytest.mark.django_db(transaction=True)
def test_later_deliveries_cost_one_statement_that_checks_the_integration_row(
    anonymous_client, integration, monkeypatch
):
    """The integration read by the first request is kept; the next request's one statement
    stores the webhook and its log only if the integration's row is unchanged (its xmin)."""
    from django.test.utils import CaptureQueriesContext

    sent = _send_recorder(monkeypatch)
    post_signed(anonymous_client, integration.code, {"id": "evt_warm"})
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_counted"})

    assert response.status_code == 202
    assert _statements(captured) == ["WITH"]
    assert "xmin" in captured.captured_queries[0]["sql"]
    webhook = Webhook.objects.get(external_id="evt_counted")
    assert sent[-1] == str(webhook.id)
    assert IntegrationLog.objects.filter(metadata__webhook_id=str(webhook.id)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_costs_at_most_six_queries(anonymous_client, integration):
    from django.test.utils import CaptureQueriesContext

    post_signed(anonymous_client, integration.code, {"id": "evt_twice"})
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_twice"})

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert len(captured.captured_queries) <= 6, _statements(captured)


@pytest.mark.django_db(transaction=True)
def test_a_message_that_cannot_be_sent_clears_the_stamp_for_the_sweeper(
    anonymous_client, integration, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("webhooks.tasks.process_webhook.apply_async", broker_down)
    monkeypatch.setattr("webhooks.services.enqueue._broker_paused_until", 0.0)
    response = post_signed(anonymous_client, integration.code, {"id": "evt_unsent"})

    assert response.status_code == 202
    webhook = Webhook.objects.get(external_id="evt_unsent")
    assert (webhook.status, webhook.enqueued_at) == (WebhookStatus.PENDING, None)


@pytest.mark.django_db(transaction=True)
def test_the_record_survives_a_failure_after_it_was_stored(monkeypatch, integration):
    """Even with ATOMIC_REQUESTS on, the receive view is outside the request transaction: the row
    committed before an error is not rolled back with it."""
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
    monkeypatch.setitem(connections["default"].settings_dict, "ATOMIC_REQUESTS", True)

    def broken_enqueue(**kwargs):
        raise RuntimeError("failure after the commit")

    # Both ways of storing: through the ORM and the kept integration's statement.
    monkeypatch.setattr("webhooks.services.receive.webhook_enqueue", broken_enqueue)
    monkeypatch.setattr("webhooks.services.receive_kept.webhook_enqueue", broken_enqueue)
    client = Client(raise_request_exception=False)
    body = b'{"id": "evt_keep"}'
    response = client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 500
    assert Webhook.objects.filter(external_id="evt_keep").exists()
    assert IntegrationLog.objects.filter(integration=integration, status_code=202).exists()


@pytest.mark.django_db(transaction=True)
def test_the_row_and_its_inbound_log_are_written_together_or_not_at_all(monkeypatch, integration):
    """The log is written in the webhook's transaction: when it cannot be written the delivery
    is answered 500 with nothing stored, so the sender delivers it again; no row without log."""

    def broken_log(*args, **kwargs):
        raise RuntimeError("log storage down")

    monkeypatch.setattr("webhooks.services.receive.integration_log_build", broken_log)
    monkeypatch.setattr("webhooks.services.receive_kept._logged_request", broken_log)
    client = Client(raise_request_exception=False)
    body = b'{"id": "evt_again"}'
    response = client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 500
    assert not Webhook.objects.filter(external_id="evt_again").exists()

    monkeypatch.undo()
    again = post_signed(client, integration.code, {"id": "evt_again"})
    assert again.status_code == 202
    webhook = Webhook.objects.get(external_id="evt_again")
    log = IntegrationLog.objects.get(integration=integration, status_code=202)
    assert log.metadata["webhook_id"] == str(webhook.id)
