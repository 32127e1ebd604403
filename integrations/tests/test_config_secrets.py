"""Secrets an integration keeps in ``config`` (``forward_secret``) are masked wherever it is shown,
and saving a config read back from the API or the admin keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.models import Integration
from integrations.redaction import REDACTED
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

FORWARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def integration() -> Integration:
    return IntegrationFactory(
        config={
            "forward_url": "http://127.0.0.1:9/hook",
            "forward_secret": FORWARD_SECRET,
            "nested": {"access_token": "tok-123456"},
        },
        previous_webhook_secret_expires_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    )


def test_api_masks_config_secrets_but_not_their_times(api_client, integration) -> None:
    response = api_client.get(f"/api/integrations/{integration.id}")

    config = response.json()["config"]
    assert FORWARD_SECRET not in response.content.decode()
    assert "tok-123456" not in response.content.decode()
    assert config["forward_secret"] == REDACTED
    assert config["nested"]["access_token"] == REDACTED
    assert config["previous_webhook_secret_expires_at"] == "2026-11-28T10:00:00+00:00"
    assert config["forward_url"] == "http://127.0.0.1:9/hook"


def test_putting_back_what_the_api_returned_keeps_the_secrets(api_client, integration) -> None:
    shown = api_client.get(f"/api/integrations/{integration.id}").json()["config"]
    shown["forward_url"] = "http://127.0.0.1:9/other"

    response = api_client.patch(
        f"/api/integrations/{integration.id}", {"config": shown}, format="json"
    )

    assert response.status_code == 200, response.content
    integration.refresh_from_db()
    assert integration.config["forward_secret"] == FORWARD_SECRET
    assert integration.config["nested"]["access_token"] == "tok-123456"
    assert integration.config["forward_url"] == "http://127.0.0.1:9/other"


def test_a_new_config_secret_replaces_the_old_one(api_client, integration) -> None:
    response = api_client.patch(
        f"/api/integrations/{integration.id}",
        {"config": {"forward_secret": "whsec_bmV3"}},
        format="json",
    )

    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.config == {"forward_secret": "whsec_bmV3"}


def test_admin_change_form_masks_config_secrets_and_keeps_them_on_save(
    admin_client, integration
) -> None:
    url = f"/admin/integrations/integration/{integration.id}/change/"
    page = admin_client.get(url).content.decode()
    assert FORWARD_SECRET not in page
    assert "tok-123456" not in page

    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["config"] = form["config"].value()
    data["metadata"] = form["metadata"].value()
    data.update({"name": "Renamed", "next_sync_at_0": "", "next_sync_at_1": ""})
    data.pop("next_sync_at", None)
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    integration.refresh_from_db()
    assert integration.name == "Renamed"
    assert integration.config["forward_secret"] == FORWARD_SECRET


def test_webhook_url_follows_a_new_code_while_it_is_the_default(api_client) -> None:
    created = api_client.post(
        "/api/integrations",
        {"name": "Shop", "code": "shop", "type": "webhook", "provider": "generic"},
        format="json",
    ).json()
    assert created["webhook_url"] == "/api/webhooks/receive/shop"

    renamed = api_client.patch(
        f"/api/integrations/{created['id']}", {"code": "shop2"}, format="json"
    ).json()
    assert renamed["webhook_url"] == "/api/webhooks/receive/shop2"

    custom = api_client.patch(
        f"/api/integrations/{created['id']}",
        {"webhook_url": "https://hub.example.uz/in/shop"},
        format="json",
    ).json()
    assert custom["webhook_url"] == "https://hub.example.uz/in/shop"
    kept = api_client.patch(
        f"/api/integrations/{created['id']}", {"code": "shop3"}, format="json"
    ).json()
    assert kept["webhook_url"] == "https://hub.example.uz/in/shop"

    reset = api_client.patch(
        f"/api/integrations/{created['id']}", {"webhook_url": None}, format="json"
    ).json()
    assert reset["webhook_url"] == "/api/webhooks/receive/shop3"


@pytest.mark.parametrize("header", ["X-Api-Key", "x-apikey", "Set-Cookie", "X-Auth-Token"])
def test_header_spellings_of_credentials_are_redacted(header: str) -> None:
    from integrations.redaction import redact

    assert redact({"headers": {header: "value-1234"}}) == {"headers": {header: REDACTED}}
