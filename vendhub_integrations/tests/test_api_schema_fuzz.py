"""Schemathesis against ``/api/schema/``: every operation of the REST API, called through the
WSGI app with an API key on generated input (valid and invalid), never answers 5xx and always
answers a documented status with a body that matches the documented schema.

Bounded for CI: ``MAX_EXAMPLES`` per operation, derandomized (the same examples every run), no
example database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from payments.services import invoice_create
from syncjobs.tests.factories import SyncedRecordFactory, SyncJobFactory
from vendhub_integrations.wsgi import application
from webhooks.tests.factories import WebhookFactory

# Per operation; SCHEMATHESIS_MAX_EXAMPLES raises it for a longer hunt by hand.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def wsgi_app(db: Any) -> Iterator[Any]:
    """The project's WSGI app, called in the test's transaction: as Django's test client does, the
    request signals must not close the database connection between calls."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def rows(wsgi_app: Any) -> None:
    """A few rows, so that lists and filters have something to show."""
    integration = IntegrationFactory(code="fuzzed", webhook_secret="fuzz-secret")
    IntegrationLogFactory(integration=integration)
    WebhookFactory(integration=integration)
    SyncJobFactory(integration=integration)
    SyncedRecordFactory(integration=integration)
    invoice_create(order_id="fuzz-1", amount=150_000)


# Read at collection through the app itself (the schema view needs neither a key nor the
# database); each operation becomes one test.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case: Any, api_key: str, rows: None) -> None:
    case.call_and_validate(headers={"Authorization": f"Api-Key {api_key}"}, checks=CHECKS)
