"""``config.rate_limit_per_minute``: receives over it answer 429 with ``Retry-After`` and store
nothing; the count is shared by every process (Redis); a counter store that is down lets every
delivery through."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from core.testing.servers import REPO_ROOT, free_port
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = pytest.mark.django_db


def limited(limit: int | None):
    """An integration with a code never used before, so no earlier run's count is in Redis."""
    config = {"rate_limit_per_minute": limit} if limit is not None else {}
    return IntegrationFactory(
        code=f"rl-{uuid.uuid4().hex[:12]}", provider="erp", webhook_secret=SECRET, config=config
    )


def send(client: Client, code: str, number: int):
    return post_signed(client, code, {"id": f"evt_{number}", "type": "order.created"})


@time_machine.travel("2026-03-01 10:00:05+00:00", tick=False)
def test_over_the_limit_is_a_429_with_retry_after_and_nothing_stored(client):
    integration = limited(3)
    answers = [send(client, integration.code, n).status_code for n in range(3)]
    assert answers == [202, 202, 202]
    refused = send(client, integration.code, 3)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "config.rate_limit_per_minute" in refused.json()["detail"]
    # The window ends at 10:01:00, 55 s from now.
    assert refused.headers["Retry-After"] == "55"
    stored = Webhook.objects.filter(integration=integration)
    assert stored.count() == 3
    assert not stored.filter(external_id="evt_3").exists()
    assert set(stored.values_list("status", flat=True)) == {WebhookStatus.PENDING}


def test_the_next_minute_accepts_again(client):
    integration = limited(1)
    with time_machine.travel("2026-03-01 10:00:30+00:00", tick=False):
        assert send(client, integration.code, 1).status_code == 202
        assert send(client, integration.code, 2).status_code == 429
    with time_machine.travel("2026-03-01 10:01:01+00:00", tick=False):
        assert send(client, integration.code, 2).status_code == 202
    assert Webhook.objects.filter(integration=integration).count() == 2


def test_the_count_is_shared_with_other_processes(client, settings):
    """Another process (as another gunicorn worker would) counts two receives of the same
    integration; this process then has one left of three."""
    if not settings.RATE_LIMIT_REDIS_URL:
        # A RabbitMQ broker (make test-rabbitmq) gives no Redis to count in: each process counts
        # its own (test_without_redis_the_count_is_kept_in_the_cache) unless one is named.
        pytest.skip(
            "no Redis to share the count in: the broker is not Redis, RATE_LIMIT_REDIS_URL unset"
        )
    assert settings.RATE_LIMIT_REDIS_URL.startswith(("redis://", "rediss://"))
    integration = limited(3)
    # One moment for both processes, so that no minute boundary falls between them.
    moment = datetime(2026, 3, 1, 10, 0, 20, tzinfo=UTC)
    script = (
        "import django; django.setup()\n"
        "from webhooks.ratelimit import receive_rate_check\n"
        f"for _ in range(2): print(receive_rate_check(code={integration.code!r}, limit=3, "
        f"now={moment.timestamp()}).count)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vendhub_integrations.settings",
        "RATE_LIMIT_REDIS_URL": settings.RATE_LIMIT_REDIS_URL,
    }
    other = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.split() == ["1", "2"]
    with time_machine.travel(moment, tick=False):
        assert send(client, integration.code, 1).status_code == 202
        assert send(client, integration.code, 2).status_code == 429


def test_an_unreachable_counter_store_serves_every_delivery(client, settings):
    settings.RATE_LIMIT_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    integration = limited(1)
    answers = [send(client, integration.code, n).status_code for n in range(4)]
    assert answers == [202, 202, 202, 202]
    assert Webhook.objects.filter(integration=integration).count() == 4


@time_machine.travel("2026-03-01 10:00:05+00:00", tick=False)
def test_without_redis_the_count_is_kept_in_the_cache(client, settings):
    settings.RATE_LIMIT_REDIS_URL = ""
    integration = limited(2)
    answers = [send(client, integration.code, n).status_code for n in range(3)]
    assert answers == [202, 202, 429]


def test_no_limit_configured_means_no_limit(client):
    integration = limited(None)
    answers = {send(client, integration.code, n).status_code for n in range(25)}
    assert answers == {202}


def test_the_limit_must_be_a_whole_number_of_at_least_one(api_client):
    integration = IntegrationFactory()
    for value, message in (("lots", "must be a number"), (0, "at least 1"), (2.5, "whole")):
        response = api_client.patch(
            f"/api/integrations/{integration.id}",
            {"config": {"rate_limit_per_minute": value}},
            format="json",
        )
        assert response.status_code == 400
        assert "config.rate_limit_per_minute" in str(response.json()["config"])
        assert message in str(response.json()["config"])
