"""Fixtures the whole suite shares: API clients with a key or a staff session."""

from __future__ import annotations

from vendhub_integrations.testing.environment import prepare_environment, stop_services

prepare_environment()

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


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
    """The Redis broker URL for a test's worker, its database emptied of old messages first."""
    import os

    import redis

    url = os.environ["CELERY_BROKER_URL"]
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def staff_client(admin_user) -> APIClient:
    client = APIClient()
    client.force_login(admin_user)
    return client


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_services()
