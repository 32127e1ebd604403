"""The Django admin of the four entities: every list (with each filter and a search) and every
form renders; secrets go in through write-only inputs and never come out; deleting is soft."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pytest
import time_machine
from django.db import connection
from django.test import Client

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

API_KEY = "admin-api-key-31f0c6"
API_SECRET = "admin-api-secret-8e2a"
WEBHOOK_SECRET = "admin-webhook-secret-b5d9"
SECRETS = (API_KEY, API_SECRET, WEBHOOK_SECRET)

CHANGELISTS = {
    "integration": "/admin/integrations/integration/",
    "integrationlog": "/admin/integrations/integrationlog/",
    "webhook": "/admin/webhooks/webhook/",
    "syncjob": "/admin/syncjobs/syncjob/",
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """admin_client's superuser is created for every test: PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rows() -> dict:
    """One of each entity, with secrets, history and a soft-deleted integration beside them."""
    with time_machine.travel("2025-02-10T12:00:00+05:00", tick=False):
        integration = IntegrationFactory(
            code="erp-main",
            type="erp",
            provider="1c",
            api_key=API_KEY,
            api_secret=API_SECRET,
            webhook_secret=WEBHOOK_SECRET,
            config={"mapping": {"products": "Catalog_Номенклатура"}, "timeout": 5000},
            metadata={"last_test_ok": False, "last_test_message": "HTTP 401"},
        )
        deleted = IntegrationFactory(code="old-erp")
        Integration.all_objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
        return {
            "integration": integration,
            "deleted": deleted,
            "integrationlog": IntegrationLogFactory(
                integration=integration,
                request_data={"headers": {"Authorization": "[REDACTED]"}, "page": 1},
                response_data={"value": [{"Ref_Key": "1"}]},
                error_message="timeout",
            ),
            "webhook": WebhookFactory(
                integration=integration,
                status="failed",
                error_message="HTTP 500 from forward_url",
                headers={"Content-Type": "application/json", "X-Token": "tok"},
            ),
            "syncjob": SyncJobFactory(
                integration=integration,
                status="completed",
                metadata={"progress": {"message": "3/3 pages"}, "errors": []},
            ),
        }


def stored_ciphertexts(integration: Integration) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key, api_secret, webhook_secret FROM integrations WHERE id = %s",
            [integration.pk],
        )
        return [value for value in cursor.fetchone() if value]


def assert_no_secret(content: bytes, ciphertexts: Sequence[str] = ()) -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text
    assert "enc:v1:" not in text
    for ciphertext in ciphertexts:
        assert ciphertext.rsplit(":", 1)[1] not in text


def filter_links(content: bytes) -> set[str]:
    """Every query-string link of a changelist page: its filters, date drill-down, sorting."""
    return {html.unescape(href) for href in re.findall(r'href="(\?[^"]*)"', content.decode())}


# --- Every page renders ---------------------------------------------------------------------


def test_admin_index_lists_the_four_entities(admin_client: Client) -> None:
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    for path in CHANGELISTS.values():
        assert path.encode() in response.content


@pytest.mark.parametrize("entity", CHANGELISTS)
def test_changelist_renders_with_its_rows(admin_client: Client, rows: dict, entity: str) -> None:
    response = admin_client.get(CHANGELISTS[entity])

    assert response.status_code == 200
    assert f"/{rows[entity].pk}/change/".encode() in response.content
    assert_no_secret(response.content, stored_ciphertexts(rows["integration"]))


@pytest.mark.parametrize("entity", CHANGELISTS)
def test_changelist_renders_with_every_filter_link(
    admin_client: Client, rows: dict, entity: str
) -> None:
    links = filter_links(admin_client.get(CHANGELISTS[entity]).content)
    assert len(links) > 3  # the sidebar and sortable headers are there

    for link in sorted(links):
        response = admin_client.get(CHANGELISTS[entity] + link)
        assert response.status_code == 200, link
        assert b"errornote" not in response.content, link


@pytest.mark.parametrize(
    ("entity", "term"),
    [
        ("integration", "erp-main"),
        ("integrationlog", "erp-main"),
        ("webhook", "erp-main"),
        ("syncjob", "erp-main"),
        ("integration", "Номенклатура"),
    ],
)
def test_changelist_search(admin_client: Client, rows: dict, entity: str, term: str) -> None:
    found = admin_client.get(CHANGELISTS[entity], {"q": term})
    missing = admin_client.get(CHANGELISTS[entity], {"q": "no-such-thing-anywhere"})

    assert found.status_code == missing.status_code == 200
    if entity == "integration" and term == "Номенклатура":
        return  # config is not searched; the page must still render
    assert found.context["cl"].result_count == 1
    assert missing.context["cl"].result_count == 0


@pytest.mark.parametrize("entity", CHANGELISTS)
def test_change_form_renders(admin_client: Client, rows: dict, entity: str) -> None:
    response = admin_client.get(f"{CHANGELISTS[entity]}{rows[entity].pk}/change/")

    assert response.status_code == 200
    assert_no_secret(response.content, stored_ciphertexts(rows["integration"]))


def test_change_form_of_a_deleted_integration_renders(admin_client: Client, rows: dict) -> None:
    response = admin_client.get(f"{CHANGELISTS['integration']}{rows['deleted'].pk}/change/")

    assert response.status_code == 200
    assert b"old-erp" in response.content


def test_integration_add_form_renders(admin_client: Client) -> None:
    response = admin_client.get(CHANGELISTS["integration"] + "add/")

    assert response.status_code == 200
    for name in ("api_key_input", "api_secret_input", "webhook_secret_input"):
        assert f'name="{name}"'.encode() in response.content
    assert b'type="password"' in response.content


def test_json_is_shown_formatted(admin_client: Client, rows: dict) -> None:
    integration = admin_client.get(f"{CHANGELISTS['integration']}{rows['integration'].pk}/change/")
    log = admin_client.get(f"{CHANGELISTS['integrationlog']}{rows['integrationlog'].pk}/change/")

    assert b"<pre" in integration.content
    assert b"&quot;timeout&quot;: 5000" in integration.content
    assert b"&quot;Ref_Key&quot;: &quot;1&quot;" in log.content


def test_integration_change_form_shows_only_whether_secrets_are_set(
    admin_client: Client, rows: dict
) -> None:
    integration = rows["integration"]
    integration.api_secret = None
    integration.save()

    response = admin_client.get(f"{CHANGELISTS['integration']}{integration.pk}/change/")

    assert b"api_key: set; api_secret: not set; webhook_secret: set" in response.content
    assert_no_secret(response.content, stored_ciphertexts(integration))


# --- Setting and clearing secrets -----------------------------------------------------------


def form_data(**changes: str) -> dict:
    data = {
        "name": "Click gateway",
        "code": "click-main",
        "type": "payment_gateway",
        "provider": "Click",
        "status": "testing",
        "description": "",
        "api_endpoint": "https://api.click.uz/v2/merchant",
        "webhook_url": "",
        "sync_interval_minutes": "0",
        "next_sync_at_0": "",
        "next_sync_at_1": "",
        "config": '{"service_id": "101"}',
        "metadata": "{}",
        "api_key_input": "",
        "api_secret_input": "",
        "webhook_secret_input": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


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


def test_code_of_a_deleted_integration_can_be_reused(admin_client: Client, rows: dict) -> None:
    response = admin_client.post(CHANGELISTS["integration"] + "add/", form_data(code="old-erp"))

    assert response.status_code == 302
    assert Integration.all_objects.filter(code="old-erp").count() == 2


# --- Soft delete ----------------------------------------------------------------------------


def test_soft_delete_action(admin_client: Client, rows: dict) -> None:
    integration = rows["integration"]
    other = IntegrationFactory(code="stays")

    response = admin_client.post(
        CHANGELISTS["integration"],
        {"action": "soft_delete_selected", "_selected_action": [str(integration.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert b"Deleted 1 integration(s)" in response.content
    assert Integration.all_objects.get(pk=integration.pk).deleted_at is not None
    assert Integration.objects.get(pk=other.pk).deleted_at is None
    # its history stays
    assert (
        admin_client.get(f"{CHANGELISTS['webhook']}{rows['webhook'].pk}/change/").status_code == 200
    )
    live = admin_client.get(CHANGELISTS["integration"])
    assert live.context["cl"].result_count == 1
    listed_deleted = admin_client.get(CHANGELISTS["integration"], {"deleted": "deleted"})
    assert {row.code for row in listed_deleted.context["cl"].result_list} == {"erp-main", "old-erp"}
    everything = admin_client.get(CHANGELISTS["integration"], {"deleted": "all"})
    assert everything.context["cl"].result_count == 3


def test_hard_delete_action_is_not_offered(admin_client: Client, rows: dict) -> None:
    response = admin_client.get(CHANGELISTS["integration"])

    assert b'value="soft_delete_selected"' in response.content
    assert b'value="delete_selected"' not in response.content


def test_delete_page_deletes_softly(admin_client: Client, rows: dict) -> None:
    integration = rows["integration"]

    confirmation = admin_client.get(f"{CHANGELISTS['integration']}{integration.pk}/delete/")
    assert confirmation.status_code == 200
    assert b"protected" not in confirmation.content
    assert str(rows["webhook"]).encode() not in confirmation.content
    response = admin_client.post(
        f"{CHANGELISTS['integration']}{integration.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert Integration.all_objects.get(pk=integration.pk).deleted_at is not None
    assert not Integration.objects.filter(pk=integration.pk).exists()


def test_history_cannot_be_added_or_edited(admin_client: Client, rows: dict) -> None:
    for entity in ("integrationlog", "webhook", "syncjob"):
        assert admin_client.get(CHANGELISTS[entity] + "add/").status_code == 403, entity
        response = admin_client.post(
            f"{CHANGELISTS[entity]}{rows[entity].pk}/change/", {"status": "completed"}
        )
        assert response.status_code == 403, entity


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
