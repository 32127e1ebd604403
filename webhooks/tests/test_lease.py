"""A live worker keeps its claim while its handlers run longer than the lease; a hung one does
not keep it for ever."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.testing.processes import wait_until
from integrations.tests.factories import IntegrationFactory
from webhooks.handlers import unregister_webhook_handler, webhook_handler
from webhooks.lease import LeaseKeeper
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process, webhook_sweep
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_handler():
    calls: list[str] = []

    @webhook_handler(provider="slowshop", event_type="*")
    def handle(webhook: Webhook) -> None:
        calls.append(str(webhook.pk))
        time.sleep(2.5)

    yield calls
    unregister_webhook_handler(handle)


def test_a_slow_handler_keeps_its_claim_past_the_lease(slow_handler) -> None:
    integration = IntegrationFactory(provider="slowshop", config={"processing_lease_seconds": 0.6})
    webhook = WebhookFactory(integration=integration)
    outcome: list[str | None] = []

    def work() -> None:
        outcome.append(webhook_process(webhook_id=webhook.pk))
        connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    reclaimed = 0
    while worker.is_alive():  # the sweeper keeps running while the handler sleeps
        reclaimed += webhook_sweep().reclaimed
        time.sleep(0.1)
    worker.join()

    webhook.refresh_from_db()
    assert reclaimed == 0
    assert outcome == [WebhookStatus.COMPLETED]
    assert webhook.status == WebhookStatus.COMPLETED
    assert slow_handler == [str(webhook.pk)]


def test_renewal_stops_after_the_time_limit_so_a_hung_worker_loses_the_webhook(caplog) -> None:
    webhook = WebhookFactory(status=WebhookStatus.PROCESSING)
    token = timezone.now() + timedelta(seconds=1.5)
    Webhook.objects.filter(pk=webhook.pk).update(locked_until=token)

    # Renewed every 0.5 s while within the limit (about 1 s in: 1 s + one 1.5 s lease = 2.5 s).
    with LeaseKeeper(webhook.pk, token, lease_seconds=1.5, max_seconds=2.5) as keeper:
        past_first_lease = wait_until(
            lambda: timezone.now() > token + timedelta(seconds=0.1), timeout=10, interval=0.02
        )
        assert past_first_lease and keeper.renewals >= 1
        assert webhook_sweep().reclaimed == 0  # the first lease ran out, the renewal holds it
        # Still "hung" in the block: renewal stopped at the limit, so the lease runs out.
        reclaimed = wait_until(lambda: webhook_sweep().reclaimed == 1, timeout=20)

    assert reclaimed
    assert "no longer renewing its lease" in caplog.text
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING


def test_a_keeper_whose_claim_was_taken_stops_and_keeps_the_old_token(caplog) -> None:
    webhook = WebhookFactory(status=WebhookStatus.PROCESSING)
    token = timezone.now() + timedelta(seconds=1.5)
    Webhook.objects.filter(pk=webhook.pk).update(locked_until=token)

    # Its first renewal is due 0.5 s in: the claim is taken back well before that.
    with LeaseKeeper(webhook.pk, token, lease_seconds=1.5, max_seconds=60) as keeper:
        Webhook.objects.filter(pk=webhook.pk).update(locked_until=timezone.now())  # taken back
        gave_up = wait_until(lambda: "processing claim was lost" in caplog.text, timeout=10)
        time.sleep(1.2)  # two more renewal periods: a keeper that stopped tries no more

    assert gave_up
    assert caplog.text.count("processing claim was lost") == 1
    assert keeper.renewals == 0
    assert keeper.token == token
    assert Webhook.objects.get(pk=webhook.pk).locked_until != token


def test_a_renewal_the_database_refuses_is_tried_again_next_interval(caplog) -> None:
    """A database restarting for a moment must not end the renewer: the claim would then run out
    under a worker that is still working."""
    from django.db import OperationalError

    webhook = WebhookFactory(status=WebhookStatus.PROCESSING)
    token = timezone.now() + timedelta(seconds=0.6)
    Webhook.objects.filter(pk=webhook.pk).update(locked_until=token)
    keeper = LeaseKeeper(webhook.pk, token, lease_seconds=0.6, max_seconds=60)
    real_renew = keeper._renew_once
    attempts: list[int] = []

    def refused_once() -> bool:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_renew()

    keeper._renew_once = refused_once  # type: ignore[method-assign]
    with keeper:
        renewed = wait_until(lambda: keeper.renewals >= 2, timeout=10)

    assert renewed
    assert "lease not renewed, will try again" in caplog.text
    assert Webhook.objects.get(pk=webhook.pk).locked_until == keeper.token


def test_one_renewal_thread_keeps_several_claims_and_costs_a_quick_webhook_nothing() -> None:
    webhooks = [WebhookFactory(status=WebhookStatus.PROCESSING) for _ in range(2)]
    tokens = [timezone.now() + timedelta(seconds=0.6) for _ in webhooks]
    for webhook, token in zip(webhooks, tokens, strict=True):
        Webhook.objects.filter(pk=webhook.pk).update(locked_until=token)

    with (
        LeaseKeeper(webhooks[0].pk, tokens[0], lease_seconds=0.6, max_seconds=60) as first,
        LeaseKeeper(webhooks[1].pk, tokens[1], lease_seconds=0.6, max_seconds=60) as second,
    ):
        renewed = wait_until(lambda: first.renewals >= 2 and second.renewals >= 2, timeout=10)
        renewers = [t for t in threading.enumerate() if t.name == "webhook-lease-renewer"]
    with LeaseKeeper(webhooks[0].pk, first.token, lease_seconds=60, max_seconds=60) as quick:
        pass

    assert renewed
    assert len(renewers) == 1
    assert quick.renewals == 0
    for webhook, keeper in ((webhooks[0], first), (webhooks[1], second)):
        assert Webhook.objects.get(pk=webhook.pk).locked_until == keeper.token
