"""Integration logs never hold a credential, and each payload is cut to 64 KiB."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from integrations.log_entries import integration_log_create
from integrations.models import IntegrationLog
from integrations.redaction import REDACTED, is_sensitive_key, redact, truncate_json
from integrations.tests.factories import IntegrationFactory
from webhooks.tests.factories import WebhookFactory

API_KEY = "logged-api-key-5c1f"
API_SECRET = "logged-api-secret-0a9b"
WEBHOOK_SECRET = "logged-webhook-secret-77e3"
PREVIOUS_SECRET = "logged-previous-secret-d4c2"
CREDENTIALS = (API_KEY, API_SECRET, WEBHOOK_SECRET, PREVIOUS_SECRET)
LIMIT = 64 * 1024


def json_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


@pytest.fixture
def integration(db):
    return IntegrationFactory(
        api_key=API_KEY,
        api_secret=API_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        previous_webhook_secret=PREVIOUS_SECRET,
    )


# --- Which keys are masked ------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "DB_PASSWORD",
        "secret",
        "client_secret",
        "webhookSecret",
        "token",
        "access_token",
        "X-Auth-Token",
        "Authorization",
        "proxy-authorization",
        "api_key",
        "API_KEY",
        "sign_string",
        "SIGN_STRING",
        "cookie",
        "Cookie",
    ],
)
def test_sensitive_keys_are_masked(key: str) -> None:
    assert is_sensitive_key(key)
    assert redact({key: "value-xyz"}) == {key: REDACTED}


@pytest.mark.parametrize("key", ["amount", "id", "type", "set-cookie-policy", "key", "apikey_hint"])
def test_ordinary_keys_are_kept(key: str) -> None:
    assert redact({key: "value-xyz"}) == {key: "value-xyz"}


def test_masking_reaches_into_nested_objects_and_lists() -> None:
    data = {
        "headers": {"Authorization": "Bearer abc", "Accept": "application/json"},
        "params": [{"login": "admin", "password": "p"}, {"token": {"nested": "deep"}}],
        "amount": 15000,
        "ok": True,
        "nothing": None,
    }

    assert redact(data) == {
        "headers": {"Authorization": REDACTED, "Accept": "application/json"},
        "params": [{"login": "admin", "password": REDACTED}, {"token": REDACTED}],
        "amount": 15000,
        "ok": True,
        "nothing": None,
    }


def test_redact_does_not_change_its_input() -> None:
    data = {"password": "p", "list": [{"token": "t"}]}

    redact(data)

    assert data == {"password": "p", "list": [{"token": "t"}]}


def test_known_secret_values_are_cut_out_of_strings() -> None:
    data = {"url": "https://x.uz/api?key=abcd1234&x=1", "echo": ["abcd1234", "no secret here"]}

    assert redact(data, secrets=["abcd1234"]) == {
        "url": f"https://x.uz/api?key={REDACTED}&x=1",
        "echo": [REDACTED, "no secret here"],
    }


# --- What integration_log_create stores -----------------------------------------------------


def test_log_entry_holds_no_credential_anywhere(integration) -> None:
    log = integration_log_create(
        integration=integration,
        action="sync_page",
        direction="outbound",
        endpoint=f"https://erp.example.uz/odata?user={API_KEY}",
        request_data={
            "headers": {"Authorization": f"Basic {API_KEY}:{API_SECRET}", "Cookie": "sid=1"},
            "body": {"login": API_KEY, "note": f"signed with {WEBHOOK_SECRET}"},
        },
        response_data={"echo": [PREVIOUS_SECRET], "sign_string": "abc", "rows": 3},
        status_code=200,
        duration_ms=41,
        error_message=f"retrying with {API_SECRET}",
        metadata={"token": "t-1", "secret_used": API_SECRET},
    )

    stored = IntegrationLog.objects.get(pk=log.pk)
    dumped = json.dumps(
        [
            stored.endpoint,
            stored.request_data,
            stored.response_data,
            stored.error_message,
            stored.metadata,
        ],
        ensure_ascii=False,
    )
    for credential in CREDENTIALS:
        assert credential not in dumped
    assert stored.request_data["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED}
    assert stored.request_data["body"]["login"] == REDACTED
    assert stored.response_data == {"echo": [REDACTED], "sign_string": REDACTED, "rows": 3}
    assert stored.endpoint == f"https://erp.example.uz/odata?user={REDACTED}"
    assert stored.error_message == f"retrying with {REDACTED}"
    assert stored.status_code == 200
    assert stored.duration_ms == 41


def test_log_api_and_admin_show_no_credential(
    integration, api_client: APIClient, admin_client: Client
) -> None:
    log = integration_log_create(
        integration=integration,
        action="forward",
        direction="outbound",
        request_data={"Authorization": API_KEY, "body": API_SECRET},
        response_data={"echo": WEBHOOK_SECRET},
        error_message=PREVIOUS_SECRET,
    )

    detail = api_client.get(f"/api/integration-logs/{log.pk}")
    # DRF's and Django's test responses: no typed base of theirs declares .content.
    pages: list[Any] = [
        detail,
        api_client.get("/api/integration-logs"),
        admin_client.get(f"/admin/integrations/integrationlog/{log.pk}/change/"),
        admin_client.get("/admin/integrations/integrationlog/"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert str(log.pk).encode() in page.content  # the log is shown, redacted
        for credential in CREDENTIALS:
            assert credential.encode() not in page.content
    assert detail.json()["request_data"] == {"Authorization": REDACTED, "body": REDACTED}


def test_short_values_are_not_scrubbed_from_ordinary_text(db) -> None:
    integration = IntegrationFactory(api_key="1c")

    log = integration_log_create(
        integration=integration,
        action="sync_page",
        direction="outbound",
        response_data={"name": "1c export"},
    )

    assert log.response_data == {"name": "1c export"}


def test_log_is_written_even_when_a_secret_cannot_be_decrypted(integration) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE integrations SET api_key = api_secret WHERE id = %s", [integration.pk]
        )
    integration.refresh_from_db()

    log = integration_log_create(
        integration=integration,
        action="test_connection",
        direction="outbound",
        response_data={"echo": API_SECRET, "password": "x"},
    )

    assert log.response_data == {"echo": REDACTED, "password": REDACTED}


def test_webhook_payloads_are_kept_as_received(api_client: APIClient, db) -> None:
    payload = {"id": "evt_1", "token": "gateway-token", "password": "customer-typed-this"}
    webhook = WebhookFactory(payload=payload)

    body = api_client.get(f"/api/webhooks/{webhook.pk}").json()

    assert body["payload"] == payload


# --- 64 KiB per payload ---------------------------------------------------------------------


def test_payload_under_the_limit_is_kept_whole(integration) -> None:
    data = {"rows": ["x" * 1000] * 50}

    log = integration_log_create(
        integration=integration, action="sync_page", direction="outbound", response_data=data
    )

    assert IntegrationLog.objects.get(pk=log.pk).response_data == data


@pytest.mark.parametrize(
    "data",
    [
        {"blob": "a" * 200_000},
        {"rows": [{"id": n, "name": f"item {n}"} for n in range(20_000)]},
        {"quotes": ['"'] * 50_000},
        {"names": ["Номенклатура «Кофе» №" + str(n) for n in range(10_000)]},
        ["\\"] * 40_000,
    ],
    ids=["one-string", "many-objects", "quotes", "cyrillic", "backslashes"],
)
def test_large_payloads_are_cut_to_64_kib(integration, data) -> None:
    log = integration_log_create(
        integration=integration,
        action="sync_page",
        direction="outbound",
        request_data=data,
        response_data=data,
    )

    stored = IntegrationLog.objects.get(pk=log.pk)
    for field in (stored.request_data, stored.response_data):
        assert field["truncated"] is True
        assert field["size_bytes"] > LIMIT
        assert field["preview"]
        assert json_size(field) <= settings.INTEGRATION_LOG_MAX_BYTES


def test_truncated_preview_starts_with_the_payload() -> None:
    data = {"first": "beginning", "blob": "z" * 100_000}

    cut = truncate_json(data, limit=LIMIT)

    assert cut["preview"].startswith('{"first": "beginning"')
    assert cut["size_bytes"] == len(json.dumps(data).encode())


def test_redaction_happens_before_truncation(integration) -> None:
    data = {"password": "p" * 100_000, "rows": list(range(10))}

    log = integration_log_create(
        integration=integration, action="sync_page", direction="outbound", request_data=data
    )

    assert log.request_data == {"password": REDACTED, "rows": list(range(10))}


def test_nul_characters_from_upstream_do_not_stop_the_log(integration) -> None:
    log = integration_log_create(
        integration=integration,
        action="sync_page",
        direction="outbound",
        endpoint="https://erp.example.uz/odata?\x00",
        request_data={"q\x00": "a\x00b"},
        response_data={"rows": ["bin\x00ary", {"password": "p\x00"}]},
        error_message="bad byte \x00 in answer",
        metadata={"note": "\x00"},
    )

    stored = IntegrationLog.objects.get(pk=log.pk)
    assert stored.request_data == {"q\ufffd": "a\ufffdb"}
    assert stored.response_data == {"rows": ["bin\ufffdary", {"password": REDACTED}]}
    assert stored.error_message == "bad byte \ufffd in answer"
    assert stored.endpoint == "https://erp.example.uz/odata?\ufffd"
    assert stored.metadata == {"note": "\ufffd"}


def test_non_finite_numbers_from_upstream_do_not_stop_the_log(integration) -> None:
    """Python's JSON reader accepts NaN and Infinity in an upstream answer; jsonb does not."""
    log = integration_log_create(
        integration=integration,
        action="sync_page",
        direction="outbound",
        response_data={"results": [{"id": 1, "price": float("nan")}, float("inf")]},
        metadata={"ratio": float("-inf")},
    )

    stored = IntegrationLog.objects.get(pk=log.pk)
    assert stored.response_data == {"results": [{"id": 1, "price": "NaN"}, "Infinity"]}
    assert stored.metadata == {"ratio": "-Infinity"}
