"""Schemathesis with every check, on positive and negative data: the schema and the validation
agree both ways. A request the schema allows is accepted (``positive_data_acceptance``), one it
forbids is refused with a 4xx (``negative_data_rejection``), and every answer conforms.

30 examples an operation, derandomized; ``SCHEMATHESIS_MAX_EXAMPLES`` raises it by hand."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from vendhub_integrations.tests.test_api_schema_fuzz import rows, wsgi_app
from vendhub_integrations.wsgi import application

__all__ = ["rows", "wsgi_app"]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
ALL_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
    checks.missing_required_header,
    checks.unsupported_method,
]

# Operations whose bodies have rules the schema cannot state, and the fields those rules name.
# (A unique value taken by an earlier example is refused too, and an api_endpoint on a network
# OUTBOUND_DENY_NETWORKS refuses or with another scheme than http(s).)
CROSS_FIELD_RULES = {
    "POST /api/payment-invoices/": {"items", "expires_at", "order_id"},
    "POST /api/integrations/": {"code", "api_endpoint"},
}

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# No NUL characters: PostgreSQL text cannot hold them, and every field refuses them with a 400
# the schema does not spell out.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    allow_x00=False,
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_schema_and_validation_agree(case: Any, api_key: str, rows: None) -> None:
    headers = {"Authorization": f"Api-Key {api_key}"}
    if case.operation.label not in CROSS_FIELD_RULES:
        case.call_and_validate(headers=headers, checks=ALL_CHECKS)
        return
    # A rule across fields or about now (items adding up to the amount, an expiry in the
    # future) cannot be written in JSON Schema: a schema-valid body may break it, and then the
    # 400 must name only those fields.
    response = case.call(headers=headers)
    case.validate_response(
        response,
        checks=[check for check in ALL_CHECKS if check is not checks.positive_data_acceptance],
    )
    if response.status_code == 400 and case.meta.generation.mode == GenerationMode.POSITIVE:
        assert set(response.json()) <= CROSS_FIELD_RULES[case.operation.label], response.json()
