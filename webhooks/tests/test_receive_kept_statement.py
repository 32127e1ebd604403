"""The kept integration's statement (``webhooks.services.receive_kept``): the rows it writes are
the ones the ORM's path writes, the statement is prepared once per connection, a duplicate is
answered with it, and its connection is health-checked without a round trip while quiet."""

from __future__ import annotations

import select
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from integrations.models import IntegrationLog
from integrations.redaction import REDACTED
from webhooks import kept_integrations
from webhooks.models import Webhook
from webhooks.services import receive_kept
from webhooks.tests.helpers import post_signed

pytestmark = pytest.mark.django_db(transaction=True)

# Differ between the two rows by nature: ids, times, the delivery's own id.
# The two deliveries differ only in their id (of one length) and so in their signature.
_UNCOMPARED_WEBHOOK = {
    "id", "created_at", "updated_at", "enqueued_at", "external_id", "payload", "signature",
    "headers",
}  # fmt: skip
_UNCOMPARED_LOG = {"id", "created_at", "updated_at", "duration_ms", "metadata", "response_data"}


@pytest.fixture(autouse=True)
def _no_messages(monkeypatch):
    monkeypatch.setattr("webhooks.services.enqueue.webhook_enqueue", lambda **kwargs: True)
    monkeypatch.setattr("webhooks.services.receive.webhook_enqueue", lambda **kwargs: True)
    monkeypatch.setattr("webhooks.services.receive_kept.webhook_enqueue", lambda **kw: True)


def _fields(instance: Any, skipped: set[str]) -> dict[str, Any]:
    return {
        field.name: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
        if field.name not in skipped
    }


def _received(integration, external_id: str, payload: dict[str, Any], *, orm: bool, monkeypatch):
    """POST ``payload`` (with ``external_id``) through one path; the stored row and its log."""
    with monkeypatch.context() as patch:
        if orm:  # nothing kept: the ORM's inserts
            patch.setattr("webhooks.kept_integrations.keep", lambda *args: None)
        kept_integrations.clear()
        response = post_signed(
            Client(), integration.code, {"id": external_id, **payload}, **{"X-Trace": "abc"}
        )
    assert response.status_code == 202, response.content
    webhook = Webhook.objects.get(pk=response.json()["id"])
    log = IntegrationLog.objects.get(metadata__webhook_id=str(webhook.pk))
    return webhook, log


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "order.paid", "amount": 125_000, "items": [1, 2, {"a": None}]},
        # Redacted in the log, kept in the webhook: the log's body is then not the row's.
        {"type": "user.updated", "password": "hunter2hunter2", "nested": {"api_key": "k-1234"}},
        {"event": "ünïcode ✓", "text": "a\x00b"},
    ],
)
def test_the_kept_statement_writes_the_rows_the_orm_writes(integration, monkeypatch, payload):
    orm, orm_log = _received(integration, "evt-orm1", payload, orm=True, monkeypatch=monkeypatch)
    kept, kept_log = _received(integration, "evt-kept", payload, orm=False, monkeypatch=monkeypatch)

    assert _fields(kept, _UNCOMPARED_WEBHOOK) == _fields(orm, _UNCOMPARED_WEBHOOK)
    assert kept.payload == {**orm.payload, "id": "evt-kept"}
    for webhook in (kept, orm):
        assert webhook.signature == webhook.headers.pop("X-Signature")
    assert kept.headers == orm.headers
    assert kept.enqueued_at is not None and orm.enqueued_at is not None
    assert _fields(kept_log, _UNCOMPARED_LOG | {"request_data"}) == _fields(
        orm_log, _UNCOMPARED_LOG | {"request_data"}
    )
    kept_body = {**kept_log.request_data["body"], "id": "evt-orm1"}
    assert kept_body == orm_log.request_data["body"]
    for log, webhook in ((kept_log, kept), (orm_log, orm)):
        assert log.request_data["headers"].pop("X-Signature") == webhook.signature
    assert kept_log.request_data["headers"] == orm_log.request_data["headers"]
    for log, webhook in ((kept_log, kept), (orm_log, orm)):
        assert log.response_data == {"id": str(webhook.pk), "status": "pending"}
        assert log.metadata == {"webhook_id": str(webhook.pk)}
    if "password" in payload:
        assert kept_log.request_data["body"]["password"] == REDACTED
        assert kept_log.request_data["body"]["nested"]["api_key"] == REDACTED
        assert kept.payload["password"] == "hunter2hunter2"


def test_the_statement_is_prepared_once_per_connection(integration):
    client = Client()
    for number in range(3):
        assert post_signed(client, integration.code, {"id": f"evt-{number}"}).status_code == 202

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['WITH s AS (INSERT INTO "webhooks"%'],
        )
        assert cursor.fetchone()[0] == 1


def test_prepared_statements_can_be_turned_off(integration, settings):
    settings.WEBHOOK_RECEIVE_PREPARED = False
    client = Client()
    for number in range(2):
        assert post_signed(client, integration.code, {"id": f"evt-{number}"}).status_code == 202

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    assert Webhook.objects.count() == 2


def test_a_duplicate_is_answered_by_the_kept_statement_with_its_log(integration):
    client = Client()
    first = post_signed(client, integration.code, {"id": "evt-twice"})
    with CaptureQueriesContext(connections["default"]) as captured:
        again = post_signed(client, integration.code, {"id": "evt-twice"})

    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "pending", "duplicate": True}
    statements = [query["sql"].split()[0].upper() for query in captured.captured_queries]
    assert statements == ["WITH", "SELECT", "INSERT"], statements
    assert Webhook.objects.count() == 1
    logs = IntegrationLog.objects.filter(integration=integration).order_by("created_at")
    assert [log.status_code for log in logs] == [202, 200]


def test_a_model_field_the_statement_does_not_set_is_refused_at_once():
    values = dict(receive_kept._WEBHOOK_VALUES)
    del values["status"]

    with pytest.raises(RuntimeError, match="status"):
        receive_kept._columns(Webhook, values)


def _health_checks(monkeypatch) -> list[bool]:
    """Django's SELECT 1 health checks of the default connection, as they happen."""
    checks: list[bool] = []
    wrapper = type(connections["default"])
    real = wrapper.is_usable

    def counted(self):
        usable = real(self)
        checks.append(usable)
        return usable

    monkeypatch.setattr(wrapper, "is_usable", counted)
    return checks


def _next_request() -> None:
    """What Django does at each request's start and its test client leaves out
    (close_old_connections): the next use of the connection is health-checked again."""
    connection.close_if_unusable_or_obsolete()
    wrapper: Any = connection  # Django's attribute (django-stubs does not declare it)
    assert not wrapper.health_check_done


def test_a_quiet_kept_connection_is_used_without_a_select_1(integration, monkeypatch):
    client = Client()
    assert post_signed(client, integration.code, {"id": "evt-warm"}).status_code == 202
    checks = _health_checks(monkeypatch)
    wrapper: Any = connection  # Django's attribute (django-stubs does not declare it)

    for number in range(3):
        _next_request()
        assert post_signed(client, integration.code, {"id": f"evt-{number}"}).status_code == 202
        assert wrapper.health_check_done

    assert checks == []
    assert Webhook.objects.count() == 4


def test_a_connection_the_server_ended_is_replaced_before_the_receive_uses_it(
    integration, monkeypatch
):
    """As after a PostgreSQL restart: the server's FATAL notice makes the socket readable, the
    SELECT 1 fails, and the receive runs on a new connection: 202, not 503."""
    client = Client()
    assert post_signed(client, integration.code, {"id": "evt-warm"}).status_code == 202
    ended_pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [ended_pid])
    finally:
        other.close()
    # The ended backend's FATAL notice arrives a moment later.
    readable, _, _ = select.select([connection.connection.fileno()], [], [], 5)
    assert readable
    checks = _health_checks(monkeypatch)
    _next_request()

    response = post_signed(client, integration.code, {"id": "evt-after"})

    assert response.status_code == 202, response.content
    assert checks == [False]
    assert connection.connection.info.backend_pid != ended_pid
    assert Webhook.objects.filter(external_id="evt-after").count() == 1


def test_a_connection_inside_a_transaction_gets_django_s_health_check(integration, monkeypatch):
    connection.ensure_connection()
    checks = _health_checks(monkeypatch)
    wrapper: Any = connection  # Django's attribute (django-stubs does not declare it)
    wrapper.health_check_done = False
    with transaction.atomic():  # a transaction begun: the connection is not idle
        Webhook.objects.exists()
        receive_kept._close_if_gone_bad()

    assert checks == [True]
    assert wrapper.health_check_done
