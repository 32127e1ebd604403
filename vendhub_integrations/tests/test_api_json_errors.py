"""Every error under /api/ is JSON, in debug mode too (where Django would answer its HTML debug
pages): unknown paths, ids that are not UUIDs, methods a route does not take, and a crash."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

NOT_FOUND_PATHS = [
    "/api/webhooks/not-a-uuid",
    "/api/payment-invoices/not-a-uuid",
    "/api/payment-transactions/not-a-uuid",
    "/api/sync-jobs/not-a-uuid",
    "/api/sync-jobs/not-a-uuid/cancel",
    "/api/integrations/not-a-uuid",
    "/api/integrations/not-a-uuid/test",
    "/api/integration-logs/12",
    "/api/synced-records/x",
    "/api/nope",
    "/api/",
    "/api/webhooks/x/y/z",
]


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict) and body.get("detail"), body
    return body


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_not_found_is_json(settings, api_client: APIClient, path: str, debug: bool) -> None:
    settings.DEBUG = debug
    method = api_client.post if path.endswith(("/cancel", "/test")) else api_client.get

    assert_json_error(method(path), 404)


@pytest.mark.parametrize("path", ["/api/nope", "/api/webhooks/not-a-uuid"])
def test_not_found_is_json_without_a_key_in_debug(settings, path: str) -> None:
    settings.DEBUG = True

    assert_json_error(Client().get(path), 404)


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/webhooks"),
        ("patch", "/api/sync-jobs"),
        ("get", "/api/webhooks/receive/some-code"),
        ("delete", "/api/payment-transactions"),
    ],
)
def test_method_not_allowed_is_json(
    settings, api_client: APIClient, method: str, path: str, debug: bool
) -> None:
    settings.DEBUG = debug

    body = assert_json_error(getattr(api_client, method)(path), 405)

    assert method.upper() in body["detail"]


def test_a_crash_under_api_is_json_in_debug(settings, api_key: str, monkeypatch) -> None:
    from integrations.api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.IntegrationViewSet, "list", explode)
    settings.DEBUG = True
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Api-Key {api_key}")

    body = assert_json_error(client.get("/api/integrations"), 500)

    assert "boom" not in str(body)


def test_admin_keeps_django_pages(settings, admin_client) -> None:
    settings.DEBUG = True

    response = admin_client.get("/admin/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
