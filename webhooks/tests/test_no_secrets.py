"""No stored credential in any integration log, API response or application log line."""

from __future__ import annotations

import json
import logging

import pytest

from integrations.models import IntegrationLog, IntegrationStatus
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook
from webhooks.services import webhook_process, webhook_secret_rotate
from webhooks.tests.helpers import post_signed, receive_url

pytestmark = pytest.mark.django_db

CREDENTIALS = {
    "api_key": "apikey-0123456789-abcdef",
    "api_secret": "apisecret-0123456789-abcdef",
    "webhook_secret": "whsecret-0123456789-abcdef",
}
PREVIOUS = "previous-webhook-secret-0123456789"


def test_no_secret_anywhere(api_client, anonymous_client, forward_server, caplog, settings):
    caplog.set_level(logging.DEBUG)
    forward_server.status = 500
    integration = IntegrationFactory(
        provider="erp",
        webhook_secret=PREVIOUS,
        api_key=CREDENTIALS["api_key"],
        api_secret=CREDENTIALS["api_secret"],
        config={"forward_url": forward_server.url + "?token=x", "retry_attempts": 0},
    )
    webhook_secret_rotate(integration=integration, new_secret=CREDENTIALS["webhook_secret"])
    secret = CREDENTIALS["webhook_secret"]
    # Verified delivery that echoes a credential in a header and in its body.
    ok = post_signed(
        anonymous_client,
        integration.code,
        {"id": "evt_1", "type": "t", "password": "p4ssw0rd-in-payload"},
        secret=secret,
        Authorization=f"Bearer {CREDENTIALS['api_key']}",
        **{"X-Echo": f"token {secret}"},
    )
    assert ok.status_code == 202
    # Old secret during its overlap, a forged one, a duplicate, a too-large body.
    assert (
        post_signed(anonymous_client, integration.code, {"id": "e2"}, secret=PREVIOUS).status_code
        == 202
    )
    assert (
        post_signed(anonymous_client, integration.code, {"id": "e3"}, secret="bad").status_code
        == 401
    )
    assert (
        post_signed(anonymous_client, integration.code, {"id": "evt_1"}, secret=secret).status_code
        == 200
    )
    settings.WEBHOOK_MAX_BODY_BYTES = 10
    assert (
        post_signed(anonymous_client, integration.code, {"id": "e4"}, secret=secret).status_code
        == 413
    )
    integration.status = IntegrationStatus.INACTIVE
    integration.save()
    assert (
        anonymous_client.post(receive_url(integration.code), data={}, format="json").status_code
        == 503
    )
    for webhook in Webhook.objects.filter(status="pending"):
        webhook_process(webhook_id=webhook.id)

    pages = [
        api_client.get("/api/webhooks?page_size=100"),
        api_client.get("/api/integration-logs?page_size=100"),
        api_client.get(f"/api/integrations/{integration.id}"),
    ]
    # The pages searched below must show what was stored, or a leak could not show in them.
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert len(pages[0].json()["results"]) == Webhook.objects.count() == 3
    assert len(pages[1].json()["results"]) == IntegrationLog.objects.count()
    texts = [
        json.dumps(
            list(
                IntegrationLog.objects.values(
                    "endpoint", "request_data", "response_data", "error_message", "metadata"
                )
            ),
            default=str,
        ),
        json.dumps(list(Webhook.objects.values()), default=str),
        *(page.content.decode() for page in pages),
        "\n".join(record.getMessage() for record in caplog.records),
    ]
    assert IntegrationLog.objects.filter(action="webhook_forward").exists()
    assert IntegrationLog.objects.filter(direction="inbound").count() == 6
    for text in texts:
        for value in [*CREDENTIALS.values(), PREVIOUS]:
            assert value not in text
    # The payload is kept as received; only the logs redact sensitive keys.
    assert Webhook.objects.get(external_id="evt_1").payload["password"] == "p4ssw0rd-in-payload"
    log = IntegrationLog.objects.filter(direction="inbound", status_code=202).earliest("created_at")
    assert log.request_data["body"]["password"] == "[REDACTED]"


@pytest.mark.parametrize(
    ("provider", "header"),
    [("erp", "X-Signature"), ("github", "X-Hub-Signature-256"), ("stripe", "Stripe-Signature")],
)
def test_a_secret_sent_in_place_of_a_signature_is_not_stored(
    api_client, anonymous_client, provider, header
):
    """A sender set up with a token-style header (the secret itself, as GitLab sends it) is
    refused; the refused row must not keep that secret as its ``signature`` for the API."""
    secret = CREDENTIALS["webhook_secret"]
    integration = IntegrationFactory(provider=provider, webhook_secret=secret)
    response = anonymous_client.post(
        receive_url(integration.code),
        data=b'{"id": "evt_1"}',
        content_type="application/json",
        headers={header: f"sha256={secret}"},
    )
    assert response.status_code == 401
    webhook = Webhook.objects.get()
    assert secret not in (webhook.signature or "")
    assert secret not in api_client.get(f"/api/webhooks/{webhook.id}").content.decode()
