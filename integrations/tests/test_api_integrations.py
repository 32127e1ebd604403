"""The integrations REST API: CRUD with every field, write-only secrets, validation, soft delete."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from integrations.models import Integration
from integrations.services import integration_create
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

API_KEY = "plain-api-key-4b1d7e"
API_SECRET = "plain-api-secret-93ac0f"
WEBHOOK_SECRET = "plain-webhook-secret-e7d2"
SECRETS = (API_KEY, API_SECRET, WEBHOOK_SECRET)

FULL_BODY: dict[str, Any] = {
    "name": "1C Tashkent",
    "code": "onec-tashkent_01",
    "type": "erp",
    "provider": "1c",
    "status": "active",
    "description": "Main ERP of the Tashkent depot",
    "api_endpoint": "https://erp.example.uz/base/odata/standard.odata",
    "api_key": API_KEY,
    "api_secret": API_SECRET,
    "webhook_url": "https://hub.example.uz/api/webhooks/receive/onec-tashkent_01",
    "webhook_secret": WEBHOOK_SECRET,
    "sync_interval_minutes": 15,
    "last_sync_at": "2025-03-01T08:00:00+05:00",
    "next_sync_at": "2025-03-01T08:15:00+05:00",
    "auto_sync_enabled": True,
    "config": {"mapping": {"products": "Catalog_Номенклатура"}, "page_size": 200},
    "metadata": {"owner": "ops"},
}


def stored_columns(integration_id: uuid.UUID | str) -> str:
    """Every secret column of one row as the database holds it, joined into one string."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(api_key, '') || coalesce(api_secret, '') "
            "|| coalesce(webhook_secret, '') FROM integrations WHERE id = %s",
            [integration_id],
        )
        columns: str = cursor.fetchone()[0]
        return columns


def assert_no_secret_in(content: bytes, *, ciphertext: str = "") -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text
    assert "enc:v1:" not in text
    if ciphertext:
        for part in ciphertext.split("enc:v1:"):
            if part:
                assert part not in text


def create(client: APIClient, **changes: object) -> dict:
    response = client.post("/api/integrations", {**FULL_BODY, **changes}, format="json")
    assert response.status_code == 201, response.content
    body: dict = response.json()
    return body


# --- Create, read, update -------------------------------------------------------------------


def test_create_with_every_field(api_client: APIClient) -> None:
    response = api_client.post("/api/integrations", FULL_BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    uuid.UUID(body["id"])
    for name in (
        "name",
        "code",
        "type",
        "provider",
        "status",
        "description",
        "api_endpoint",
        "webhook_url",
        "sync_interval_minutes",
        "auto_sync_enabled",
        "config",
        "metadata",
    ):
        assert body[name] == FULL_BODY[name], name
    assert datetime.fromisoformat(body["last_sync_at"]) == datetime.fromisoformat(
        FULL_BODY["last_sync_at"]
    )
    assert datetime.fromisoformat(body["next_sync_at"]) == datetime.fromisoformat(
        FULL_BODY["next_sync_at"]
    )
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(body["updated_at"]).tzinfo is not None
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is True
    for name in ("api_key", "api_secret", "webhook_secret"):
        assert name not in body

    stored = Integration.objects.get(pk=body["id"])
    assert (stored.api_key, stored.api_secret, stored.webhook_secret) == SECRETS
    assert stored.config == FULL_BODY["config"]


def test_create_with_minimal_fields_uses_the_defaults(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/integrations",
        {"name": "Payme", "code": "payme", "type": "payment_gateway", "provider": "Payme"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "testing"
    assert body["webhook_url"] == "/api/webhooks/receive/payme"
    assert body["provider"] == "payme"
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is False
    assert body["config"] == {}
    assert body["sync_interval_minutes"] == 0
    assert body["auto_sync_enabled"] is False
    assert body["next_sync_at"] is None


def test_retrieve_returns_every_field(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.get(f"/api/integrations/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize("path", ["/api/integrations", "/api/integrations/"])
def test_list_is_paginated_with_and_without_trailing_slash(api_client: APIClient, path) -> None:
    IntegrationFactory.create_batch(3)

    response = api_client.get(path, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2
    assert body["next"]
    second = api_client.get(body["next"])
    assert len(second.json()["results"]) == 1
    assert second.json()["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "erp"}, {"erp-one"}),
        ({"status": "inactive"}, {"gateway"}),
        ({"provider": "1c"}, {"erp-one"}),
        ({"provider": "1C"}, {"erp-one"}),
        ({"type": "payment_gateway", "status": "active"}, set()),
    ],
)
def test_list_filters(api_client: APIClient, query: dict, expected: set) -> None:
    IntegrationFactory(code="erp-one", type="erp", provider="1c", status="active")
    IntegrationFactory(code="gateway", type="payment_gateway", provider="payme", status="inactive")
    IntegrationFactory(code="rest-api", type="api", provider="rest", status="testing")

    response = api_client.get("/api/integrations", query)

    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", [{"type": "fax"}, {"status": "broken"}])
def test_list_with_a_bad_filter_value_is_a_400_naming_it(api_client: APIClient, query) -> None:
    response = api_client.get("/api/integrations", query)

    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_put_replaces_every_field(api_client: APIClient) -> None:
    created = create(api_client)
    replacement: dict[str, Any] = {
        "name": "1C Samarkand",
        "code": "onec-samarkand",
        "type": "accounting",
        "provider": "1c",
        "status": "inactive",
        "description": "",
        "api_endpoint": "http://10.0.0.5/odata/standard.odata",
        "webhook_url": "/api/webhooks/receive/onec-samarkand",
        "sync_interval_minutes": 60,
        "last_sync_at": None,
        "next_sync_at": "2025-04-01T00:00:00Z",
        "auto_sync_enabled": False,
        "config": {"page_size": 50},
        "metadata": {},
    }

    response = api_client.put(f"/api/integrations/{created['id']}", replacement, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    for name, value in replacement.items():
        if name.endswith("_at") and value:
            assert datetime.fromisoformat(body[name]) == datetime.fromisoformat(value)
        else:
            assert body[name] == value, name
    # secrets absent from the PUT are kept
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is True
    assert Integration.objects.get(pk=created["id"]).api_key == API_KEY


def test_patch_changes_only_what_it_names(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.patch(
        f"/api/integrations/{created['id']}",
        {"next_sync_at": "2030-01-01T10:00:00+05:00", "status": "error"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "error"
    assert datetime.fromisoformat(body["next_sync_at"]) == datetime.fromisoformat(
        "2030-01-01T10:00:00+05:00"
    )
    assert body["name"] == created["name"]
    assert body["config"] == created["config"]
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )


def test_unknown_and_malformed_ids_are_json_404(api_client: APIClient) -> None:
    for path in (f"/api/integrations/{uuid.uuid4()}", "/api/integrations/not-a-uuid"):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]


# --- Secrets are write-only -----------------------------------------------------------------


def test_secrets_never_appear_in_create_retrieve_list_or_update(api_client: APIClient) -> None:
    create_response = api_client.post("/api/integrations", FULL_BODY, format="json")
    integration_id = create_response.json()["id"]
    ciphertext = stored_columns(integration_id)
    assert ciphertext.count("enc:v1:") == 3

    responses = [
        create_response,
        api_client.get(f"/api/integrations/{integration_id}"),
        api_client.get("/api/integrations"),
        api_client.get("/api/integrations", {"format": "api"}),
        api_client.patch(
            f"/api/integrations/{integration_id}", {"api_key": API_KEY}, format="json"
        ),
        api_client.put(f"/api/integrations/{integration_id}", FULL_BODY, format="json"),
    ]

    for response in responses:
        assert response.status_code in (200, 201), response.content
        assert_no_secret_in(response.content, ciphertext=ciphertext)


def test_browsable_api_form_never_prefills_a_secret(staff_client: APIClient) -> None:
    integration = IntegrationFactory(
        api_key=API_KEY, api_secret=API_SECRET, webhook_secret=WEBHOOK_SECRET
    )

    response = staff_client.get(f"/api/integrations/{integration.pk}", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"<form" in response.content
    assert_no_secret_in(response.content, ciphertext=stored_columns(integration.pk))


def test_absent_secret_is_kept_on_update(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.patch(
        f"/api/integrations/{created['id']}", {"api_key": "rotated-key-1"}, format="json"
    )

    assert response.json()["has_api_key"] is True
    stored = Integration.objects.get(pk=created["id"])
    assert stored.api_key == "rotated-key-1"
    assert stored.api_secret == API_SECRET
    assert stored.webhook_secret == WEBHOOK_SECRET


@pytest.mark.parametrize("empty", [None, ""])
def test_null_or_empty_secret_clears_it(api_client: APIClient, empty) -> None:
    created = create(api_client)

    response = api_client.patch(
        f"/api/integrations/{created['id']}",
        {"api_secret": empty, "webhook_secret": empty},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_api_key"] is True
    assert body["has_api_secret"] is False
    assert body["has_webhook_secret"] is False
    stored = Integration.objects.get(pk=created["id"])
    assert (stored.api_key, stored.api_secret, stored.webhook_secret) == (API_KEY, None, None)


@pytest.mark.parametrize("empty", [None, ""])
def test_null_or_empty_secret_on_create_is_not_set(api_client: APIClient, empty) -> None:
    body = create(api_client, api_key=empty, api_secret=empty, webhook_secret=empty)

    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is False
    assert stored_columns(body["id"]) == ""


def test_a_secret_with_surrounding_spaces_is_kept_as_given(api_client: APIClient) -> None:
    body = create(api_client, api_secret="  spaced secret  ")

    assert Integration.objects.get(pk=body["id"]).api_secret == "  spaced secret  "


def test_an_integration_whose_secret_cannot_be_decrypted_still_reads(
    api_client: APIClient,
) -> None:
    created = create(api_client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE integrations SET api_key = api_secret WHERE id = %s", [created["id"]]
        )

    detail = api_client.get(f"/api/integrations/{created['id']}")
    listing = api_client.get("/api/integrations")
    deleted = api_client.delete(f"/api/integrations/{created['id']}")

    assert detail.status_code == 200
    assert detail.json()["has_api_key"] is True
    assert listing.status_code == 200
    assert deleted.status_code == 204


# --- Validation -----------------------------------------------------------------------------


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


# --- Code uniqueness and soft delete --------------------------------------------------------


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


def test_delete_is_soft(api_client: APIClient) -> None:
    created = create(api_client)
    kept = create(api_client, code="kept")

    response = api_client.delete(f"/api/integrations/{created['id']}")

    assert response.status_code == 204
    listed = {row["id"] for row in api_client.get("/api/integrations").json()["results"]}
    assert listed == {kept["id"]}
    assert api_client.get(f"/api/integrations/{created['id']}").status_code == 404
    assert (
        api_client.patch(
            f"/api/integrations/{created['id']}", {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert api_client.delete(f"/api/integrations/{created['id']}").status_code == 404
    row = Integration.all_objects.get(pk=created["id"])
    assert row.deleted_at is not None
    assert row.api_key == API_KEY  # history keeps its credentials, encrypted


def test_code_of_a_deleted_integration_can_be_reused(api_client: APIClient) -> None:
    first = create(api_client)
    api_client.delete(f"/api/integrations/{first['id']}")

    response = api_client.post("/api/integrations", FULL_BODY, format="json")
    second_delete = api_client.delete(f"/api/integrations/{response.json()['id']}")
    third = api_client.post("/api/integrations", FULL_BODY, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["id"] != first["id"]
    assert second_delete.status_code == 204
    assert third.status_code == 201
    assert Integration.all_objects.filter(code=FULL_BODY["code"]).count() == 3


def test_history_of_a_deleted_integration_stays_readable(api_client: APIClient) -> None:
    integration = IntegrationFactory()
    webhook = WebhookFactory(integration=integration)
    job = SyncJobFactory(integration=integration)
    log = IntegrationLogFactory(integration=integration)

    assert api_client.delete(f"/api/integrations/{integration.pk}").status_code == 204

    for path, row in [
        ("/api/webhooks", webhook),
        ("/api/sync-jobs", job),
        ("/api/integration-logs", log),
    ]:
        detail = api_client.get(f"{path}/{row.pk}")
        assert detail.status_code == 200, path
        assert detail.json()["integration_id"] == str(integration.pk)
        listed = api_client.get(path, {"integration": str(integration.pk)})
        assert [item["id"] for item in listed.json()["results"]] == [str(row.pk)], path


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/integrations", "/api/payment-invoices"])
def test_a_deeply_nested_json_body_is_a_400_and_nothing_is_created(api_client, path):
    body = b"[" * 200_000 + b"]" * 200_000
    before = Integration.objects.count()

    response = api_client.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert Integration.objects.count() == before
