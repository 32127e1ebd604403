"""The integrations REST API refuses bad input with a 400 naming the field (missing, malformed,
a taken code, a body nested too deep), a JSON 415 for an unsupported media type, and changes
nothing when it refuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from integrations.models import Integration
from integrations.services import integration_create
from integrations.tests.factories import IntegrationFactory
from integrations.tests.integration_api_helpers import FULL_BODY, create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "fax"),
        ("type", None),
        ("status", "paused"),
        ("code", "Upper-Case"),
        ("code", "has space"),
        ("code", "x" * 65),
        ("code", ""),
        ("code", "ünïcode"),
        ("config", ["not", "an", "object"]),
        ("config", "text"),
        ("config", 5),
        ("config", None),
        ("metadata", ["list"]),
        ("config", {"note": "nul \x00 inside"}),
        ("config", {"list": [{"deep": "\x00"}]}),
        ("metadata", {"key\x00": 1}),
        ("name", "nul \x00 inside"),
        ("api_key", "nul \x00 inside"),
        ("api_endpoint", "not a url"),
        ("api_endpoint", "ftp://erp.example.uz/"),
        ("api_endpoint", "https://"),
        ("name", ""),
        ("name", "n" * 256),
        ("provider", "   "),
        ("sync_interval_minutes", -1),
        ("sync_interval_minutes", "often"),
        ("auto_sync_enabled", "perhaps"),
        ("next_sync_at", "tomorrow"),
        ("api_key", {"nested": "object"}),
        ("api_secret", ["list"]),
        ("webhook_secret", "s" * 4097),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client: APIClient, field, value) -> None:
    response = api_client.post("/api/integrations", {**FULL_BODY, field: value}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert body[field]
    assert not Integration.objects.exists()


@pytest.mark.parametrize("field", ["name", "code", "type", "provider"])
def test_missing_required_field_is_a_400_naming_it(api_client: APIClient, field) -> None:
    body = {key: value for key, value in FULL_BODY.items() if key != field}

    response = api_client.post("/api/integrations", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_bad_input_on_patch_is_a_400_and_changes_nothing(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.patch(
        f"/api/integrations/{created['id']}",
        {"config": [1, 2], "status": "active", "name": "Changed"},
        format="json",
    )

    assert response.status_code == 400
    assert "config" in response.json()
    assert Integration.objects.get(pk=created["id"]).name == FULL_BODY["name"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"null", "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_malformed_bodies_are_400_not_500(api_client: APIClient, content, content_type) -> None:
    response = api_client.generic("POST", "/api/integrations", content, content_type)

    assert response.status_code == 400
    assert response.json()


def test_unsupported_media_type_is_a_json_415(api_client: APIClient) -> None:
    # DRF's stub says data: str; Django's test client sends bytes as they are.
    response = api_client.generic(
        "POST",
        "/api/integrations",
        b"<xml/>",  # type: ignore[arg-type]
        "application/xml",
    )

    assert response.status_code == 415
    assert response.json()["detail"]


def test_duplicate_code_is_a_400_naming_code(api_client: APIClient) -> None:
    create(api_client)

    response = api_client.post("/api/integrations", FULL_BODY, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["code"][0]
    assert Integration.objects.count() == 1


def test_changing_to_a_taken_code_is_a_400(api_client: APIClient) -> None:
    create(api_client)
    other = create(api_client, code="other")

    response = api_client.patch(
        f"/api/integrations/{other['id']}", {"code": FULL_BODY["code"]}, format="json"
    )
    same = api_client.patch(
        f"/api/integrations/{other['id']}", {"code": "other", "name": "Other"}, format="json"
    )

    assert response.status_code == 400
    assert "code" in response.json()
    assert same.status_code == 200


def test_the_database_constraint_also_reports_a_duplicate_as_a_code_error() -> None:
    IntegrationFactory(code="taken")

    with pytest.raises(ValidationError) as caught:
        integration_create(data={"name": "Again", "code": "taken", "type": "api", "provider": "x"})

    assert "code" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/integrations", "/api/payment-invoices"])
def test_a_deeply_nested_json_body_is_a_400_and_nothing_is_created(api_client, path):
    body = b"[" * 200_000 + b"]" * 200_000
    before = Integration.objects.count()

    response = api_client.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert Integration.objects.count() == before
