"""The integration's admin form: secrets go in through write-only inputs (set, kept when left
empty, replaced, cleared when ticked) and are never echoed, not even in a form error; a
duplicate code and a config or metadata that is no JSON object are form errors."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import Integration
from integrations.tests.admin_helpers import (
    API_KEY,
    API_SECRET,
    CHANGELISTS,
    SECRETS,
    WEBHOOK_SECRET,
    assert_no_secret,
    form_data,
    stored_ciphertexts,
)
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """admin_client's superuser is created for every test: PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_add_sets_secrets_through_the_write_only_inputs(admin_client: Client) -> None:
    response = admin_client.post(
        CHANGELISTS["integration"] + "add/",
        form_data(
            api_key_input=API_KEY, api_secret_input=API_SECRET, webhook_secret_input=WEBHOOK_SECRET
        ),
        follow=True,
    )

    assert response.status_code == 200
    integration = Integration.objects.get(code="click-main")
    assert (integration.api_key, integration.api_secret, integration.webhook_secret) == SECRETS
    assert integration.provider == "click"
    assert integration.config == {"service_id": "101"}
    assert integration.webhook_url == "/api/webhooks/receive/click-main"
    assert_no_secret(response.content, stored_ciphertexts(integration))
    change = admin_client.get(f"{CHANGELISTS['integration']}{integration.pk}/change/")
    assert_no_secret(change.content, stored_ciphertexts(integration))


def test_change_keeps_empty_inputs_replaces_filled_ones_and_clears_ticked_ones(
    admin_client: Client,
) -> None:
    integration = IntegrationFactory(
        code="click-main", api_key=API_KEY, api_secret=API_SECRET, webhook_secret=WEBHOOK_SECRET
    )

    response = admin_client.post(
        f"{CHANGELISTS['integration']}{integration.pk}/change/",
        form_data(api_secret_input="replaced-secret-42", clear_webhook_secret="on"),
        follow=True,
    )

    assert response.status_code == 200
    integration = Integration.objects.get(pk=integration.pk)
    assert integration.api_key == API_KEY
    assert integration.api_secret == "replaced-secret-42"
    assert integration.webhook_secret is None
    assert integration.name == "Click gateway"
    assert b"replaced-secret-42" not in response.content
    assert_no_secret(response.content, stored_ciphertexts(integration))


def test_form_errors_never_echo_a_typed_secret(admin_client: Client) -> None:
    response = admin_client.post(
        CHANGELISTS["integration"] + "add/",
        form_data(code="Bad Code!", api_key_input=API_KEY, config="[1, 2]"),
    )

    assert response.status_code == 200
    assert b"errornote" in response.content
    assert not Integration.objects.exists()
    assert_no_secret(response.content)


def test_duplicate_code_is_a_form_error(admin_client: Client) -> None:
    IntegrationFactory(code="click-main")

    response = admin_client.post(CHANGELISTS["integration"] + "add/", form_data())

    assert response.status_code == 200
    assert b"An integration with this code already exists." in response.content
    assert Integration.objects.filter(code="click-main").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("config", "[1, 2]"),
        ("config", '"text"'),
        ("config", "not json"),
        ("metadata", "5"),
        ("config", '{"note": "nul \\u0000 inside"}'),
    ],
)
def test_config_and_metadata_must_be_json_objects(admin_client: Client, field, value) -> None:
    response = admin_client.post(CHANGELISTS["integration"] + "add/", form_data(**{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not Integration.objects.exists()
