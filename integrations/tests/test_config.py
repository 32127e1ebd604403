"""``config`` is read through one typed object: a bad hand-written value reads as its default,
and a write through the API or the admin is refused with the key named."""

from __future__ import annotations

import pytest

from integrations.config import IntegrationConfig
from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory


def test_defaults_are_the_contracts() -> None:
    config = IntegrationConfig.read({})
    assert (config.timeout_seconds, config.max_retries, config.retry_backoff_seconds) == (30, 3, 30)
    assert (config.signature_header, config.external_id_field, config.tolerance_seconds) == (
        "X-Signature",
        "id",
        300,
    )
    assert (config.page_size, config.http_retries, config.account_field) == (500, 3, "order_id")


@pytest.mark.parametrize(
    ("raw", "attribute", "expected"),
    [
        ({"page_size": "many"}, "page_size", 500),
        ({"page_size": 0}, "page_size", 1),
        ({"http_retries": "x"}, "http_retries", 3),
        ({"tolerance_seconds": [1]}, "tolerance_seconds", 300),
        ({"max_consecutive_failures": "abc"}, "max_consecutive_failures", 5),
        ({"timeout": "soon"}, "timeout_ms", 30_000),
        ({"mapping": 5}, "mapping", {}),
        ({"mapping": ["products"]}, "mapping", {"products": "products"}),
        ({"test_mode": "yes please"}, "test_mode", False),
    ],
)
def test_a_bad_stored_value_reads_as_a_safe_default(raw, attribute, expected) -> None:
    assert getattr(IntegrationConfig.read(raw), attribute) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"page_size": "many"}, "page_size"),
        ({"http_retries": -1}, "http_retries"),
        ({"retry_attempts": 2.5}, "retry_attempts"),
        ({"timeout": "soon"}, "timeout"),
        ({"mapping": 5}, "mapping"),
        (
            {"previous_webhook_secret_expires_at": "2999-13-45"},
            "previous_webhook_secret_expires_at",
        ),
    ],
)
def test_the_api_refuses_a_bad_value_naming_the_key(api_client, config, key) -> None:
    integration = IntegrationFactory(config={"note": "kept"})
    response = api_client.patch(
        f"/api/integrations/{integration.id}", {"config": config}, format="json"
    )
    assert response.status_code == 400, response.content
    assert f"config.{key}" in response.json()["config"][0]
    integration.refresh_from_db()
    assert integration.config == {"note": "kept"}


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_value_naming_the_key(admin_client) -> None:
    integration = IntegrationFactory(config={})
    url = f"/admin/integrations/integration/{integration.pk}/change/"
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if "clear_" not in name}
    data.update(config='{"http_retries": "lots"}', metadata="{}")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "config.http_retries must be a number" in response.content.decode()
    assert Integration.objects.get(pk=integration.pk).config == {}


@pytest.mark.django_db
def test_a_stored_expiry_is_shown_inside_config(api_client) -> None:
    integration = IntegrationFactory()
    api_client.patch(
        f"/api/integrations/{integration.id}",
        {"config": {"previous_webhook_secret_expires_at": "2999-01-01T00:00:00"}},
        format="json",
    )
    integration.refresh_from_db()
    expires_at = integration.previous_webhook_secret_expires_at
    assert expires_at is not None and expires_at.year == 2999
    assert "previous_webhook_secret_expires_at" not in integration.config
    shown = api_client.get(f"/api/integrations/{integration.id}").json()["config"]
    assert shown["previous_webhook_secret_expires_at"] == "2999-01-01T00:00:00+00:00"
