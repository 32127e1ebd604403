"""The integration's list and page as an operator reads them: what is wrong with it (and only
what is wrong), its health and history at hand, a readable config, honest add and filter screens,
and action messages that name the integration and link the job."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from syncjobs.tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/integrations/integration/"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_last_error_shows_failures_only(admin_client: Client) -> None:
    IntegrationFactory(
        code="good", metadata={"last_test_ok": True, "last_test_message": "Connected: HTTP 200"}
    )
    IntegrationFactory(
        code="bad", metadata={"last_test_ok": False, "last_test_message": "HTTP 401 from 1C"}
    )
    IntegrationFactory(
        code="down",
        status="error",
        metadata={"error_reason": "3 scheduled syncs failed in a row", "last_test_ok": True},
    )

    listing = admin_client.get(LIST).content.decode()

    assert "Connected: HTTP 200" not in listing
    assert "HTTP 401 from 1C" in listing
    assert "3 scheduled syncs failed in a row" in listing


def test_auto_sync_column_says_when_the_scheduler_skips_the_integration(
    admin_client: Client,
) -> None:
    IntegrationFactory(auto_sync_enabled=True, sync_interval_minutes=60, status="testing")
    IntegrationFactory(auto_sync_enabled=False, sync_interval_minutes=60)

    listing = admin_client.get(LIST).content.decode()

    assert "every 60 min, paused while testing" in listing
    assert ">off<" in listing


def test_deleted_filter_says_live_by_default(admin_client: Client) -> None:
    IntegrationFactory(code="alive")
    gone = IntegrationFactory(code="gone")
    Integration.all_objects.filter(pk=gone.pk).update(deleted_at=gone.created_at)

    default = admin_client.get(LIST)
    deleted = admin_client.get(LIST + "?deleted=deleted")

    page = default.content.decode()
    live_choice = re.search(r'<li class="selected">\s*<a href="[^"]*"[^>]*>Live</a>', page)
    assert live_choice, "the default choice of the deleted filter is 'Live'"
    assert [i.code for i in default.context["cl"].result_list] == ["alive"]
    assert [i.code for i in deleted.context["cl"].result_list] == ["gone"]


def test_add_form_shows_no_made_up_id_and_nothing_to_clear(admin_client: Client) -> None:
    page = admin_client.get(LIST + "add/").content.decode()

    assert "field-id" not in page
    assert 'name="clear_api_key"' not in page
    assert 'name="api_key_input"' in page


def test_change_form_shows_health_history_and_an_indented_config(admin_client: Client) -> None:
    job = SyncJobFactory()
    integration = job.integration
    integration.config = {"mapping": {"products": "Catalog_Номенклатура"}}
    integration.metadata = {
        "last_test_at": "2025-02-10T07:00:05+00:00",
        "last_test_ok": False,
        "last_test_message": "HTTP 401 from 1C",
        "last_sync_job_id": str(job.pk),
    }
    integration.save()

    page = admin_client.get(f"{LIST}{integration.pk}/change/").content.decode()

    assert "Last connection test FAILED at 2025-02-10 12:00:05: HTTP 401 from 1C" in page
    assert f"/admin/syncjobs/syncjob/{job.pk}/change/" in page
    assert f"/admin/webhooks/webhook/?integration__id__exact={integration.pk}" in page
    assert (
        "{\n  &quot;mapping&quot;: {\n    &quot;products&quot;: &quot;Catalog_Номенклатура&quot;"
        in page
    )


def test_action_messages_name_the_integration_and_link_the_job(admin_client: Client) -> None:
    integration = IntegrationFactory(name="Broken ERP", code="broken_erp", provider="1c")
    integration.api_endpoint = "http://127.0.0.1:1/odata"
    integration.config = {"mapping": {"products": "Catalog_Номенклатура"}}
    integration.save()

    response = admin_client.post(
        LIST, {"action": "trigger_sync", "_selected_action": [str(integration.pk)]}
    )

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    job = integration.sync_jobs.get()
    assert message.startswith("Broken ERP (broken_erp): ")
    assert f'href="/admin/syncjobs/syncjob/{job.pk}/change/"' in message


def test_cancelling_only_finished_jobs_is_a_warning(admin_client: Client) -> None:
    job = SyncJobFactory(status="completed")

    response = admin_client.post(
        "/admin/syncjobs/syncjob/", {"action": "cancel_jobs", "_selected_action": [str(job.pk)]}
    )

    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "warning"
    assert "Cancelled 0 job(s); 1 already finished." in str(message)
