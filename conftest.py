"""Fixtures the whole suite shares: API clients with a key or a staff session."""

from __future__ import annotations

from core.testing.environment import prepare_environment, stop_services

prepare_environment()

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


@pytest.fixture(autouse=True)
def _receive_state_per_test(settings):
    """Each test starts with no kept integrations (``webhooks.kept_integrations``) and sends
    the receive's wake-up message in the request, where a test can see it; the tests of the
    batching sender turn it back on (``WEBHOOK_ENQUEUE_BATCH``)."""
    from webhooks import kept_integrations

    kept_integrations.clear()
    settings.WEBHOOK_ENQUEUE_BATCH = 1
    yield
    kept_integrations.clear()


@pytest.fixture
def api_key(db) -> str:
    from rest_framework_api_key.models import APIKey

    _, key = APIKey.objects.create_key(name="tests")
    return key


@pytest.fixture
def api_client(api_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def worker_broker_url() -> str:
    """The broker URL for a test's worker, emptied of old messages first: the Redis database
    flushed, or on RabbitMQ the Celery queues of the vhost purged."""
    import os

    from core.testing.queues import empty_broker

    url = os.environ["CELERY_BROKER_URL"]
    empty_broker(url)
    return url


@pytest.fixture
def staff_client(admin_user) -> APIClient:
    client = APIClient()
    client.force_login(admin_user)
    return client


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_services()
