"""Writes that go with providers: the connection test, and merging keys into an integration's
``metadata`` (the test result, the sync engine's failure count) without losing a concurrent
writer's keys."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.http import IntegrationHttpClient
from integrations.log_entries import integration_log_create
from integrations.models import Integration, IntegrationStatus, LogDirection
from integrations.providers import provider_for, receive_protocol_for
from integrations.providers.base import ConnectionTestResult


def integration_metadata_update(
    *, integration_id: Any, changes: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """Merge ``changes`` into ``metadata`` (a ``None`` value removes the key) and set ``fields``,
    under a row lock so two writers (a test and a finishing sync) do not overwrite each other."""
    with transaction.atomic():
        row = (
            Integration.all_objects.select_for_update()
            .only("id", "metadata")
            .get(pk=integration_id)
        )
        metadata = dict(row.metadata or {})
        for key, value in changes.items():
            if value is None:
                metadata.pop(key, None)
            else:
                metadata[key] = value
        Integration.all_objects.filter(pk=integration_id).update(
            metadata=metadata, updated_at=timezone.now(), **fields
        )
    return metadata


def _untestable_message(integration: Integration) -> str:
    message = (
        f"No connector for provider {integration.provider!r}: this integration cannot be "
        "tested (the hub has no outbound API to call for it)."
    )
    if receive_protocol_for(integration) is not None:
        message += " Its health comes from the gateway's own calls (the dashboard shows it)."
    return message


def integration_test_connection(*, integration: Integration) -> ConnectionTestResult:
    """Call the provider's test (one attempt: an operator wants the state now, not after
    retries), log it (also a test refused before any request), and keep the outcome in
    ``metadata`` (``last_test_at``, ``last_test_ok``, ``last_test_message``,
    ``last_test_status_code``, ``last_test_testable``). An integration with no connector answers
    ``success: false`` saying so, and is not thereby failing."""
    provider = provider_for(integration)
    client = IntegrationHttpClient(integration, retries=0)
    if provider is None:
        result = ConnectionTestResult(
            False, None, 0, _untestable_message(integration), testable=False
        )
    else:
        result = provider.test_connection(integration, client)
    if not client.attempts_made:
        # Refused before any request (nothing to call, no connector): the log still shows the
        # test, as every test writes an outbound log.
        integration_log_create(
            integration=integration,
            action="test_connection",
            direction=LogDirection.OUTBOUND,
            endpoint=integration.api_endpoint or "",
            status_code=None,
            duration_ms=result.duration_ms,
            error_message=result.message,
        )
    previous = integration.metadata or {}
    was_failing = (
        previous.get("last_test_ok") is False and previous.get("last_test_testable") is not False
    ) or integration.status == IntegrationStatus.ERROR
    with transaction.atomic():
        integration.metadata = integration_metadata_update(
            integration_id=integration.pk,
            changes={
                "last_test_at": timezone.now().isoformat(),
                "last_test_ok": result.success,
                "last_test_message": result.message,
                "last_test_status_code": result.status_code,
                # Read by the dashboard and the admin: an untested integration is not failing.
                "last_test_testable": result.testable,
            },
        )
        # Operators are told of a failing test, and of the first good one after (CONTRACT
        # "Alerts"); an integration with no connector is neither (nothing was tested).
        if result.testable and not result.success:
            alert_record(
                event="integration.failing",
                integration=integration,
                detail=f"connection test: {result.message}",
            )
        elif result.testable and was_failing:
            alert_record(
                event="integration.recovered",
                integration=integration,
                detail=f"connection test: {result.message}",
            )
    return result
