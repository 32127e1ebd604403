"""The integrations REST API keeps secrets write-only: never in a response nor in the
browsable form, kept when absent from an update, cleared by null or "", stored as given, and an
integration whose secret no longer decrypts still reads."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from integrations.tests.integration_api_helpers import (
    API_KEY,
    API_SECRET,
    FULL_BODY,
    WEBHOOK_SECRET,
    assert_no_secret_in,
    create,
    stored_columns,
)

pytestmark = pytest.mark.django_db


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
