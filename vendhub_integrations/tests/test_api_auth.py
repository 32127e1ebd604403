"""Who may call the API (an API key or a staff session), and what answers without one: the
OpenAPI schema, Swagger UI (served from local static files only) and JSON 404s."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

LIST_PATHS = ["/api/integrations", "/api/webhooks", "/api/sync-jobs", "/api/integration-logs"]
DENIED = (401, 403)


@pytest.fixture
def detail_paths() -> list[str]:
    integration = IntegrationFactory()
    return [
        f"/api/integrations/{integration.pk}",
        f"/api/webhooks/{WebhookFactory(integration=integration).pk}",
        f"/api/sync-jobs/{SyncJobFactory(integration=integration).pk}",
        f"/api/integration-logs/{IntegrationLogFactory(integration=integration).pk}",
    ]


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize("path", LIST_PATHS)
def test_no_key_is_refused_with_json(anonymous_client: APIClient, path: str) -> None:
    response = anonymous_client.get(path)

    assert response.status_code in DENIED
    assert response.json()["detail"]


def test_no_key_is_refused_on_details_and_writes(
    anonymous_client: APIClient, detail_paths: list[str]
) -> None:
    for path in detail_paths:
        assert anonymous_client.get(path).status_code in DENIED, path
    assert (
        anonymous_client.post(
            "/api/integrations", {"name": "x", "code": "x", "type": "api", "provider": "x"}
        ).status_code
        in DENIED
    )
    assert anonymous_client.delete(detail_paths[0]).status_code in DENIED
    assert anonymous_client.delete(detail_paths[1]).status_code in DENIED
    assert not Integration.objects.filter(code="x").exists()


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key not-a-real-key",
        "Api-Key ",
        "Api-Key abcdefgh.0123456789abcdef0123456789abcdef",
        "Bearer {key}",
        "{key}",
        "Token {key}",
    ],
    ids=["garbage", "empty", "well-formed-unknown", "bearer", "bare", "token"],
)
@pytest.mark.parametrize("path", LIST_PATHS)
def test_bad_key_is_refused(api_key: str, path: str, header: str) -> None:
    response = client_with(header.format(key=api_key)).get(path)

    assert response.status_code in DENIED
    assert response.json()["detail"]


def test_tampered_key_is_refused(api_key: str) -> None:
    prefix, secret = api_key.split(".", 1)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = client_with(f"Api-Key {prefix}.{flipped}").get("/api/integrations")

    assert response.status_code in DENIED


@pytest.mark.parametrize("path", LIST_PATHS)
def test_valid_key_is_accepted(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_valid_key_reads_details_and_writes(api_client: APIClient, detail_paths) -> None:
    for path in detail_paths:
        assert api_client.get(path).status_code == 200, path
    created = api_client.post(
        "/api/integrations",
        {"name": "New", "code": "new", "type": "api", "provider": "rest"},
        format="json",
    )
    assert created.status_code == 201


def test_revoked_key_is_refused(api_key: str) -> None:
    client = client_with(f"Api-Key {api_key}")
    assert client.get("/api/integrations").status_code == 200

    APIKey.objects.update(revoked=True)

    assert client.get("/api/integrations").status_code in DENIED


def test_expired_key_is_refused(api_key: str) -> None:
    APIKey.objects.update(expiry_date=timezone.now() - timedelta(minutes=1))

    assert client_with(f"Api-Key {api_key}").get("/api/integrations").status_code in DENIED


def test_key_is_stored_hashed(api_key: str) -> None:
    stored = APIKey.objects.get()

    assert api_key.split(".", 1)[1] not in stored.hashed_key
    assert api_key not in str(APIKey.objects.values().get())


@pytest.mark.parametrize("path", LIST_PATHS)
def test_staff_session_is_accepted(staff_client: APIClient, path: str) -> None:
    assert staff_client.get(path).status_code == 200


def test_staff_session_gets_the_browsable_api(staff_client: APIClient) -> None:
    response = staff_client.get("/api/integrations", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_non_staff_session_is_refused(django_user_model) -> None:
    user = django_user_model.objects.create_user("clerk", password="pw-for-tests-only")
    client = APIClient()
    client.force_login(user)

    for path in LIST_PATHS:
        assert client.get(path).status_code in DENIED, path


def test_inactive_staff_session_is_refused(django_user_model) -> None:
    user = django_user_model.objects.create_user(
        "former", password="pw-for-tests-only", is_staff=True
    )
    client = APIClient()
    client.force_login(user)
    user.is_active = False
    user.save()

    assert client.get("/api/integrations").status_code in DENIED


# --- Schema, docs and unknown paths ---------------------------------------------------------


def test_openapi_schema_responds(api_client: APIClient) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/integrations", "/api/webhooks", "/api/sync-jobs", "/api/integration-logs"):
        assert any(p.rstrip("/") == path for p in schema["paths"]), path


def test_schema_shows_secrets_only_as_write_only_input(api_client: APIClient) -> None:
    IntegrationFactory(api_key="schema-leak-probe-1", webhook_secret="schema-leak-probe-2")

    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert b"schema-leak-probe" not in response.content
    components = response.json()["components"]["schemas"]
    output = components["Integration"]["properties"]
    request = components["IntegrationRequest"]["properties"]
    for name in ("api_key", "api_secret", "webhook_secret"):
        assert name not in output
        assert f"has_{name}" in output
        assert name in request


def test_swagger_ui_uses_only_local_static_files(anonymous_client: APIClient) -> None:
    IntegrationFactory(api_key="docs-leak-probe")

    response = anonymous_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "docs-leak-probe" not in html
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in references)
    for ref in references:
        assert not re.match(r"^(https?:)?//", ref), ref
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/")), ref
    assert not re.search(r"https?://[^\s\"']*(cdn|unpkg|jsdelivr|googleapis)", html)


@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/integrations/extra/deep/path", "/api/webhooks/x/y/z"]
)
def test_unknown_api_paths_are_json_404(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_unknown_api_path_is_json_404_without_a_key_too(anonymous_client: APIClient) -> None:
    response = anonymous_client.get("/api/does-not-exist")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
