"""The kept integration's statement: a new, verified delivery for an integration kept by
``webhooks.kept_integrations``, stored with its inbound log in one prepared statement.

What the ORM's path (``receive_fresh``) does through model instances, Django's compiler and
psycopg's client-side binding of some forty values, this path does in one statement written
for it: the row's id and timestamps come from PostgreSQL (``gen_random_uuid()``, ``now()``),
its constants are in the SQL, the log's answer and ``webhook_id`` are built from the inserted
row, and the statement is prepared once per connection, so each request sends only its own
values and PostgreSQL neither parses nor plans it again. Measured at the campaign's burst
(``benchmarks/campaign.py``), building and binding that statement was over half of a receive.

The rows it writes are the ones the ORM's path writes (``test_receive_kept_statement`` compares
them column by column). The integration's row must still be the kept version (``xmin``),
checked in the same statement; if it is not, nothing is stored and the answer needs a fresh
read. A duplicate is refused by the unique index, which PostgreSQL consults only for a row that
passed that check, so it is answered here, from the same integration. A refused signature never
comes here: ``webhook_receive`` stores it through the ORM, from a fresh read.
"""

from __future__ import annotations

import json
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from integrations.models import IntegrationLog, LogDirection
from integrations.redaction import redact
from integrations.services import integration_log_data, integration_log_endpoint
from webhooks.inbound import scrub_values
from webhooks.kept_integrations import KeptIntegration
from webhooks.models import Webhook, WebhookStatus
from webhooks.services.enqueue import webhook_enqueue
from webhooks.services.receive import ReceiveOutcome, Verdict, delivery_original, log_inbound
from webhooks.signatures import InboundRequest

# What each column of the two rows is set to: a parameter of the request, a constant, or what
# PostgreSQL computes. ``i`` is the integration's row, ``s`` the webhook just inserted.
_WEBHOOK_VALUES = {
    "id": "gen_random_uuid()",
    "created_at": "now()",
    "updated_at": "now()",
    "integration": "i.id",
    "event_type": "%(event_type)s::text",
    "source": "%(source)s::text",
    "external_id": "%(external_id)s::text",
    "payload": "%(payload)s::jsonb",
    "headers": "%(headers)s::jsonb",
    "status": f"'{WebhookStatus.PENDING.value}'",
    "processed_at": "NULL",
    "retry_count": "0",
    "max_retries": "%(max_retries)s::integer",
    "error_message": "NULL",
    "signature": "%(signature)s::text",
    "signature_verified": "%(signature_verified)s::boolean",
    "metadata": "%(metadata)s::jsonb",
    "rejected": "false",
    "next_retry_at": "NULL",
    "locked_until": "NULL",
    # Stamped as inserted: the message is sent right after the commit (see webhook_enqueue).
    "enqueued_at": "now()",
    "attempt_count": "0",
}
_LOG_VALUES = {
    "id": "gen_random_uuid()",
    "created_at": "s.created_at",
    "updated_at": "s.created_at",
    "integration": "s.integration_id",
    "action": "'webhook_receive'",
    "direction": f"'{LogDirection.INBOUND.value}'",
    "endpoint": "%(endpoint)s::text",
    # Given when redaction or the size cut changed what was received; else the row's own.
    "request_data": (
        "COALESCE(%(request_data)s::jsonb, "
        "jsonb_build_object('headers', s.headers, 'body', s.payload))"
    ),
    "response_data": f"jsonb_build_object('id', s.id::text, 'status', '{WebhookStatus.PENDING}')",
    "status_code": "202",
    "duration_ms": "%(duration_ms)s::integer",
    "error_message": "NULL",
    "metadata": "jsonb_build_object('webhook_id', s.id::text)",
}
_statement: str | None = None


def _columns(model: Any, values: dict[str, str]) -> tuple[str, str]:
    fields = list(model._meta.local_concrete_fields)
    names = {field.name for field in fields}
    if names != set(values):
        # A field added to (or dropped from) the model must be given its value here too.
        raise RuntimeError(
            f"the receive statement does not match {model.__name__}: {sorted(names ^ set(values))}"
        )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return columns, ", ".join(values[field.name] for field in fields)


def receive_statement() -> str:
    """The statement, built once from the models' tables and columns."""
    global _statement
    if _statement is None:
        quote = connection.ops.quote_name
        webhook_columns, webhook_values = _columns(Webhook, _WEBHOOK_VALUES)
        log_columns, log_values = _columns(IntegrationLog, _LOG_VALUES)
        integrations = quote(Webhook._meta.get_field("integration").related_model._meta.db_table)
        # Names from the models' metadata, every value a parameter or a constant of this module.
        _statement = (
            f"WITH s AS (INSERT INTO {quote(Webhook._meta.db_table)} ({webhook_columns}) "  # noqa: S608
            f"SELECT {webhook_values} FROM {integrations} AS i "
            "WHERE i.id = %(integration)s AND i.xmin::text = %(version)s "
            "RETURNING id, integration_id, created_at, headers, payload) "
            f"INSERT INTO {quote(IntegrationLog._meta.db_table)} ({log_columns}) "
            f"SELECT {log_values} FROM s RETURNING metadata ->> 'webhook_id'"
        )
    return _statement


def receive_kept(
    kept: KeptIntegration,
    *,
    request: InboundRequest,
    verdict: Verdict,
    endpoint: str,
    started: float,
) -> ReceiveOutcome | None:
    """Store a delivery ``kept`` verified (committed on return, its message sent right after),
    or answer a duplicate; None, with nothing written, when a fresh read must answer: the row
    changed since it was kept, or a duplicate's original is gone."""
    secrets = kept.secrets
    stored_headers = scrub_values(request.headers, secrets)
    payload = request.payload
    payload_json = json.dumps(payload)
    headers_json = json.dumps(stored_headers)
    params = {
        **verdict.fields,
        "integration": kept.integration.pk,
        "version": kept.version,
        "source": kept.integration.provider,
        "payload": payload_json,
        "headers": headers_json,
        "max_retries": kept.config.max_retries,
        "signature_verified": verdict.verified,
        "metadata": json.dumps({"signature_scheme": kept.scheme_name}),
        "endpoint": integration_log_endpoint(endpoint, secrets=secrets),
        "request_data": _logged_request(
            stored_headers, payload, payload_json, headers_json, secrets
        ),
        "duration_ms": max(0, int((time.monotonic() - started) * 1000)),
    }
    try:
        if connection.in_atomic_block:  # a caller's transaction: survive a refused INSERT
            with transaction.atomic():
                webhook_id = _execute(params)
        else:  # autocommit: the statement is its own transaction, both rows or neither
            webhook_id = _execute(params)
    except IntegrityError:
        return _duplicate(kept, params["external_id"], stored_headers, payload, endpoint, started)
    if webhook_id is None:  # the row changed since it was kept
        return None
    transaction.on_commit(
        lambda: webhook_enqueue(webhook_id=webhook_id, stamped=True, background=True)
    )
    return ReceiveOutcome(
        status_code=202,
        body={"id": webhook_id, "status": WebhookStatus.PENDING.value},
        kept=True,
    )


def _logged_request(
    headers: dict[str, str], payload: Any, payload_json: str, headers_json: str, secrets: list[str]
) -> str | None:
    """The inbound log's ``request_data`` as ``integration_log_data`` makes it, or None when it
    is the stored headers and payload themselves (the statement then builds it from the row):
    both are storable already, nothing in them is redacted, and even escaped they fit."""
    received = {"headers": headers, "body": payload}
    small = len(payload_json) + len(headers_json) + 32 <= settings.INTEGRATION_LOG_MAX_BYTES
    if small and redact(received, secrets=secrets) == received:
        return None
    return json.dumps(integration_log_data(received, secrets=secrets))


def _duplicate(
    kept: KeptIntegration,
    external_id: str | None,
    headers: dict[str, str],
    payload: Any,
    endpoint: str,
    started: float,
) -> ReceiveOutcome | None:
    """Step 3 of the contract: the original's id and status, nothing processed again; logged."""
    original = delivery_original(kept.integration.pk, external_id)
    if original is None:  # deleted meanwhile, or another constraint: a fresh read decides
        return None
    outcome = ReceiveOutcome(
        status_code=200,
        body={"id": str(original.pk), "status": original.status, "duplicate": True},
        webhook=original,
        kept=True,
    )
    log_inbound(
        integration=kept.integration,
        endpoint=endpoint,
        headers=headers,
        payload=payload,
        outcome=outcome,
        started=started,
        secrets=kept.secrets,
    )
    return outcome


@contextmanager
def _preparing(raw_connection: psycopg.Connection[Any]) -> Iterator[None]:
    """psycopg ignores ``prepare=True`` on a connection whose ``prepare_threshold`` is None,
    which is how Django opens them (no statement is prepared behind a pooler's back): for this
    statement only, a threshold no count reaches, so only what is asked for is prepared."""
    saved = raw_connection.prepare_threshold
    if saved is None:
        raw_connection.prepare_threshold = 2**31
    try:
        yield
    finally:
        raw_connection.prepare_threshold = saved


def _close_if_gone_bad() -> None:
    """Django's health check (``CONN_HEALTH_CHECKS``) without its round trip when the kept
    connection has nothing to say. An idle PostgreSQL connection receives nothing unasked: a
    server that restarts or ends the session sends its FATAL notice or closes the socket, and
    either makes the socket readable. So the socket is polled (no wait); only a connection that
    is broken, not idle, or has something to read gets Django's ``SELECT 1`` to decide. (A peer
    that vanishes without a word, as behind a dropped NAT entry, is found by the statement
    itself: that request answers 503 and the next one reconnects.)"""
    # Django's own attributes for it (django-stubs does not declare them).
    wrapper: Any = connection
    raw = connection.connection
    if raw is None or not wrapper.health_check_enabled or wrapper.health_check_done:
        return
    idle = psycopg.pq.TransactionStatus.IDLE
    quiet = False
    if not raw.broken and raw.info.transaction_status == idle:
        try:
            poller = select.poll()  # poll, not select: no limit on the descriptor's number
            poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
            quiet = not poller.poll(0)
        except (OSError, ValueError, psycopg.Error):
            quiet = False
    if quiet:
        wrapper.health_check_done = True
        return
    connection.close_if_health_check_failed()


def _execute(params: dict[str, Any]) -> str | None:
    """Run the statement on Django's connection (its health check, error translation, query
    log while one is kept), prepared unless ``WEBHOOK_RECEIVE_PREPARED`` is off."""
    sql = receive_statement()
    # What connection.cursor() does first: reconnect if the kept connection went bad.
    _close_if_gone_bad()
    connection.ensure_connection()
    raw_connection = connection.connection
    if connection.queries_logged or connection.execute_wrappers:
        with connection.wrap_database_errors:
            raw = psycopg.Cursor(raw_connection)
        try:
            # django-stubs says these take a CursorWrapper; Django gives them the driver's cursor.
            wrapped = (
                connection.make_debug_cursor(raw)  # type: ignore[arg-type]
                if connection.queries_logged
                else connection.make_cursor(raw)  # type: ignore[arg-type]
            )
            wrapped.execute(sql, params)
            row = wrapped.fetchone()
        finally:
            raw.close()
    else:
        with connection.wrap_database_errors, _preparing(raw_connection):
            cursor = getattr(connection, _CURSOR, None)
            if cursor is None or cursor.connection is not raw_connection or cursor.closed:
                # Server-side binding (Django's own cursors bind on the client), one cursor kept
                # per connection: it holds no result between receives (fetched at once).
                cursor = psycopg.Cursor(raw_connection)
                setattr(connection, _CURSOR, cursor)
            cursor.execute(sql, params, prepare=bool(settings.WEBHOOK_RECEIVE_PREPARED))
            row = cursor.fetchone()
    return None if row is None else str(row[0])


# Where Django's (per-thread) connection keeps the receive's cursor; a new connection, a new one.
_CURSOR = "_webhook_receive_cursor"
