"""The Django admin of the four entities: every list (with each filter and a search) and every
form renders; secrets never come out; deleting is soft and frees the code. (Typing secrets into
the form: ``test_integration_admin_forms``.)"""

from __future__ import annotations

import html
import re

import pytest
import time_machine
from django.test import Client

from integrations.models import Integration
from integrations.tests.admin_helpers import (
    API_KEY,
    API_SECRET,
    CHANGELISTS,
    WEBHOOK_SECRET,
    assert_no_secret,
    form_data,
    stored_ciphertexts,
)
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


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


# --- Soft delete ----------------------------------------------------------------------------


def test_code_of_a_deleted_integration_can_be_reused(admin_client: Client, rows: dict) -> None:
    response = admin_client.post(CHANGELISTS["integration"] + "add/", form_data(code="old-erp"))

    assert response.status_code == 302
    assert Integration.all_objects.filter(code="old-erp").count() == 2


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
