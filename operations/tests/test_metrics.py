"""``GET /metrics``: Prometheus text read from the database, behind an API key."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from payments.models import TransactionState
from payments.tests.factories import PaymentInvoiceFactory, PaymentTransactionFactory
from syncjobs.models import SyncJobStatus
from syncjobs.tests.factories import SyncJobFactory
from webhooks.models import WebhookStatus
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _labels(**labels: str) -> frozenset:
    return frozenset(labels.items())


def test_metrics_need_an_api_key(anonymous_client) -> None:
    response = anonymous_client.get("/metrics")
    assert response.status_code in (401, 403)
    assert "vendhub_" not in response.content.decode()


def test_counts_by_integration_and_event_type(api_client) -> None:
    shop = IntegrationFactory(code="shop")
    WebhookFactory.create_batch(2, integration=shop, event_type="order.paid", status="completed")
    WebhookFactory(integration=shop, event_type="order.paid", status="failed", retry_count=3)
    WebhookFactory(integration=shop, event_type="order.created", status=WebhookStatus.PENDING)
    WebhookFactory(integration=shop, event_type="order.created", status="processing")
    SyncJobFactory(
        integration=shop,
        status=SyncJobStatus.COMPLETED,
        records_processed=10,
        records_created=4,
        records_updated=3,
        records_failed=1,
    )
    IntegrationLogFactory(integration=shop, action="sync_page", duration_ms=40)
    IntegrationLogFactory(integration=shop, action="sync_page", duration_ms=700)
    IntegrationLogFactory(integration=shop, action="sync_page", duration_ms=90, direction="inbound")

    response = api_client.get("/metrics", HTTP_ACCEPT="text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response.content.decode())
    paid = _labels(integration="shop", event_type="order.paid")
    assert samples[("vendhub_webhooks_received_total", paid)] == 3
    assert samples[("vendhub_webhooks_processed_total", paid)] == 2
    assert samples[("vendhub_webhooks_failed_total", paid)] == 1
    assert samples[("vendhub_webhooks_retried_total", paid)] == 3
    assert samples[("vendhub_webhooks_pending", _labels(integration="shop"))] == 1
    assert samples[("vendhub_webhooks_processing", _labels(integration="shop"))] == 1
    for outcome, value in (("created", 4), ("updated", 3), ("unchanged", 2), ("failed", 1)):
        key = ("vendhub_sync_records_total", _labels(integration="shop", outcome=outcome))
        assert samples[key] == value
    histogram = {"integration": "shop", "action": "sync_page"}
    assert samples[("vendhub_outbound_call_duration_seconds_count", _labels(**histogram))] == 2
    assert samples[("vendhub_outbound_call_duration_seconds_sum", _labels(**histogram))] == 0.74
    bucket = "vendhub_outbound_call_duration_seconds_bucket"
    assert samples[(bucket, _labels(**histogram, le="0.05"))] == 1
    assert samples[(bucket, _labels(**histogram, le="1.0"))] == 2
    # No id anywhere among the labels.
    assert str(shop.pk) not in response.content.decode()


def test_payment_transactions_by_provider_and_state(api_client) -> None:
    payme = IntegrationFactory(code="payme", provider="payme", type="payment_gateway")
    for number, state in enumerate(
        (TransactionState.PERFORMED, TransactionState.PERFORMED, TransactionState.CANCELLED)
    ):
        invoice = PaymentInvoiceFactory(order_id=f"o-{number}", amount=100, description="")
        PaymentTransactionFactory(
            integration=payme,
            provider="payme",
            provider_transaction_id=f"t-{number}",
            invoice=invoice,
            amount=100,
            state=state,
        )

    samples = _samples(api_client.get("/metrics").content.decode())

    assert (
        samples[("vendhub_payment_transactions", _labels(provider="payme", state="performed"))] == 2
    )
    assert (
        samples[("vendhub_payment_transactions", _labels(provider="payme", state="cancelled"))] == 1
    )
