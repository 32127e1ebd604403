"""Logs are JSON lines carrying request_id (from X-Request-ID or generated, echoed back),
webhook_id, job_id and integration where they apply; no secret ever appears."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from django.test import Client

from integrations.tests.factories import IntegrationFactory
from syncjobs.engine import sync_job_execute
from syncjobs.tests.factories import SyncJobFactory
from vendhub_integrations.logs import log_format, logging_config
from webhooks.services import webhook_process
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = pytest.mark.django_db

BEARER = "bearer-credential-9f8e7d6c5b4a"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged during the test, rendered by the production (JSON) formatter."""
    options = dict(logging_config(fmt="json", level="INFO")["formatters"]["structured"])
    options.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(**options))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    django_logger = logging.getLogger("django")
    django_logger.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        django_logger.removeHandler(handler)
        root.setLevel(previous_level)


def _json_lines(output: str) -> list[dict]:
    lines = [line for line in output.splitlines() if line.strip()]
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not not_json, "lines that are not JSON:\n" + "\n".join(not_json[:20])
    return [json.loads(line) for line in lines]


def _records(stream: io.StringIO) -> list[dict]:
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # each line is one JSON object


def test_receive_logs_json_with_the_callers_request_id_and_no_secret(json_lines) -> None:
    integration = IntegrationFactory(
        code="erp", provider="erp", webhook_secret=SECRET, api_key="erp-api-key-7c6b5a4d"
    )
    response = post_signed(
        Client(),
        "erp",
        {"id": "evt-1", "type": "order.paid", "password": "payload-password-1"},
        **{"X-Request-ID": "req-abc-123", "Authorization": f"Bearer {BEARER}"},
    )
    assert response.status_code == 202
    assert response["X-Request-ID"] == "req-abc-123"

    records = _records(json_lines)
    received = next(r for r in records if r["event"] == "webhook_received")
    assert received["request_id"] == "req-abc-123"
    assert received["integration"] == "erp"
    assert received["webhook_id"] == response.json()["id"]
    finished = next(r for r in records if r["event"] == "request_finished")
    assert finished["request_id"] == "req-abc-123" and finished["code"] == 202
    text = json_lines.getvalue()
    for secret in (SECRET, BEARER, integration.api_key, "payload-password-1"):
        assert secret not in text


def test_a_request_without_an_id_or_with_a_bad_one_gets_a_fresh_one(json_lines) -> None:
    client = Client()
    generated = client.get("/healthz")["X-Request-ID"]
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected="1')["X-Request-ID"]

    assert len(generated) == 36 and len(forged) == 36 and generated != forged
    ids = {r.get("request_id") for r in _records(json_lines) if r["event"] == "request_finished"}
    assert ids == {generated, forged}


def test_processing_and_sync_lines_carry_webhook_id_job_id_and_integration(json_lines) -> None:
    from webhooks.tests.factories import WebhookFactory

    integration = IntegrationFactory(code="shop", provider="erp")
    webhook = WebhookFactory(integration=integration, event_type="nothing.handles.this")
    webhook_process(webhook_id=webhook.pk)
    job = SyncJobFactory(integration=integration)  # "erp" has no sync connector: it fails
    sync_job_execute(job_id=job.pk)

    records = _records(json_lines)
    processed = next(r for r in records if r["event"] == "webhook_processed")
    assert (processed["webhook_id"], processed["integration"]) == (str(webhook.pk), "shop")
    assert processed["webhook_status"] == "ignored"
    finished = next(r for r in records if r["event"] == "sync_job_finished")
    assert (finished["job_id"], finished["integration"]) == (str(job.pk), "shop")
    assert finished["job_status"] == "failed"


def test_sensitive_keys_and_credentials_in_messages_are_redacted(json_lines) -> None:
    structlog.get_logger("tests").info(
        "calling upstream", api_key="k-123456", headers={"Authorization": "Basic dXNlcjpwdw=="}
    )
    logging.getLogger("tests").warning("sent Authorization: Api-Key %s", "live-key-abcdef")

    text = json_lines.getvalue()
    assert "k-123456" not in text and "dXNlcjpwdw==" not in text and "live-key-abcdef" not in text
    assert text.count("[REDACTED]") == 3


def test_format_is_plain_in_debug_json_otherwise_and_log_format_overrides() -> None:
    assert log_format(debug=True, override=None) == "plain"
    assert log_format(debug=False, override="") == "json"
    assert log_format(debug=True, override="JSON") == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        log_format(debug=False, override="xml")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_print_only_json_lines_with_the_webhook_id(worker_broker_url) -> None:
    from core.testing.processes import wait_until
    from core.testing.worker import celery_beat, celery_worker
    from webhooks.models import Webhook
    from webhooks.services import webhook_enqueue
    from webhooks.tests.factories import WebhookFactory

    json_env = {"LOG_FORMAT": "json"}
    webhook = WebhookFactory(integration=IntegrationFactory(code="erp", provider="erp"))
    with (
        celery_worker(
            broker_url=worker_broker_url, extra_env=json_env, celery_options=["--quiet"]
        ) as worker,
        celery_beat(
            broker_url=worker_broker_url, extra_env=json_env, celery_options=["--quiet"]
        ) as beat,
    ):
        webhook_enqueue(webhook_id=webhook.pk)
        assert wait_until(
            lambda: Webhook.objects.get(pk=webhook.pk).status == "ignored", timeout=30
        ), worker.output()
        assert wait_until(lambda: "webhook_processed" in worker.output(), timeout=10)
        worker_lines = _json_lines(worker.output())
        beat_lines = _json_lines(beat.output())

    processed = next(line for line in worker_lines if line["event"] == "webhook_processed")
    assert (processed["webhook_id"], processed["integration"]) == (str(webhook.pk), "erp")
    assert processed["task_id"]
    assert any("beat: Starting" in line["event"] for line in beat_lines)
