"""Integrations the hub cannot test are never "failing" for it: one whose provider has no
connector is "not testable"; a gateway (a provider with its own receive protocol, Payme, Click)
is judged by its traffic: its last call answered without a protocol error."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from integrations.models import Integration, IntegrationStatus, IntegrationType
from integrations.tests.factories import IntegrationFactory
from operations.selectors import integration_health_list
from payments.tests.helpers import ORDER_ID, PAYME_KEY, gateway_integration, payme_call

pytestmark = pytest.mark.django_db


def health_of(code: str) -> tuple[str, str]:
    item = next(item for item in integration_health_list() if item.integration.code == code)
    return item.health, item.reason


def test_no_connector_test_says_so_and_leaves_the_integration_healthy(api_client: APIClient):
    custom = IntegrationFactory(
        code="vending-screen", type=IntegrationType.WEBHOOK, provider="custom", api_endpoint=""
    )

    answer = api_client.post(f"/api/integrations/{custom.pk}/test").json()

    assert answer["success"] is False
    assert "No connector for provider 'custom'" in answer["message"]
    assert "cannot be tested" in answer["message"]
    custom.refresh_from_db()
    assert custom.status == IntegrationStatus.ACTIVE
    assert custom.metadata["last_test_ok"] is False
    assert health_of("vending-screen") == ("not testable", "")


def test_no_connector_is_not_testable_on_the_dashboard_page(admin_client: Client):
    custom = IntegrationFactory(
        code="kiosk", type=IntegrationType.WEBHOOK, provider="custom", api_endpoint=""
    )
    from integrations.services.connection import integration_test_connection

    integration_test_connection(integration=custom)

    body = admin_client.get("/admin/").content.decode()
    assert 'data-code="kiosk"' in body
    assert "vh-health-failing" not in body
    assert "not testable" in body
    assert "Failing integrations" not in body


def test_a_real_failed_test_is_still_failing():
    rest = IntegrationFactory(
        code="erp", metadata={"last_test_ok": False, "last_test_message": "HTTP 500"}
    )

    assert health_of(rest.code) == ("failing", "last test failed: HTTP 500")


@pytest.fixture
def payme() -> Integration:
    integration: Integration = gateway_integration(
        code="payme", provider="payme", api_key="5e730e8e0b852a417aa49ceb", api_secret=PAYME_KEY
    )
    return integration


def test_a_gateway_is_judged_by_its_traffic_not_by_a_test(client: Client, payme: Integration):
    from integrations.services.connection import integration_test_connection

    result = integration_test_connection(integration=payme)
    assert result.success is False and "cannot be tested" in result.message
    assert health_of("payme") == ("unknown", "no call from the gateway yet")

    # A business answer (no such order) is a healthy exchange.
    answer = payme_call(
        client, "payme", "CheckPerformTransaction", {"amount": 100, "account": {"order_id": "x"}}
    )
    assert -31099 <= answer["error"]["code"] <= -31050
    assert health_of("payme") == ("ok", "")

    # Wrong credentials are a protocol error: the gateway is misconfigured on one side.
    answer = payme_call(client, "payme", "CheckTransaction", {"id": "x"}, key="wrong")
    assert answer["error"]["code"] == -32504
    health, reason = health_of("payme")
    assert health == "failing"
    assert "-32504" in reason and "last call" in reason

    payme_call(
        client, "payme", "CheckPerformTransaction", {"amount": 1, "account": {"order_id": ORDER_ID}}
    )
    assert health_of("payme") == ("ok", "")


def test_the_admin_list_does_not_show_an_untestable_integration_as_failed(admin_client: Client):
    from integrations.services.connection import integration_test_connection

    custom = IntegrationFactory(
        code="display", type=IntegrationType.WEBHOOK, provider="custom", api_endpoint=""
    )
    integration_test_connection(integration=custom)

    page = admin_client.get(f"/admin/integrations/integration/{custom.pk}/change/")
    body = page.content.decode()
    assert "Last connection test not possible" in body
    assert "FAILED" not in body
