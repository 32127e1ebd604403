"""``gateway_check``: a gateway's own conformance scenario, run as real HTTP calls against the
hub's receive URL before a merchant is switched to production.

One module per gateway (``payme``, ``click``, ``uzum``, ``paynet``), each a ``scenario(run)`` that
creates the invoices it needs and returns its steps, built from the rows of the gateway's spec
tables (``protocols.md``, ``gateways.md``); where the calls and their checks are long, they sit
beside it in ``<gateway>_checks``. ``gateway_check_run`` is the one service the management
command calls.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string

from integrations.models import Integration
from payments.conformance.base import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT_SECONDS,
    ORDER_PREFIX,
    Report,
    Run,
    Step,
    run_steps,
)

SCENARIOS: dict[str, str] = {
    "payme": "payments.conformance.payme.scenario",
    "click": "payments.conformance.click.scenario",
    "uzum": "payments.conformance.uzum.scenario",
    "paynet": "payments.conformance.paynet.scenario",
}


class CannotCheck(Exception):
    """The integration's provider has no scenario, or the run could not start."""


def gateway_check_run(
    *,
    integration: Integration,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    write: Callable[[str], None],
) -> Report:
    """Run the gateway scenario of ``integration`` against ``<base_url>/api/webhooks/receive/
    <code>``, writing one line per step; the report. Every ``gwcheck-`` invoice the run created
    and that is still payable is cancelled at the end, however the run ended."""
    path = SCENARIOS.get(integration.provider)
    if path is None:
        raise CannotCheck(
            f"Integration {integration.code!r} has provider {integration.provider!r}; "
            f"gateway_check knows {', '.join(SCENARIOS)}."
        )
    build: Callable[[Run], list[Step]] = import_string(path)
    run = Run(integration=integration, base_url=base_url, timeout=timeout)
    report = Report()
    try:
        steps = build(run)
        report = run_steps(run, steps, write=write)
    finally:
        report.cleanup = run.cleanup()
        run.session.close()
    return report


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT_SECONDS",
    "ORDER_PREFIX",
    "SCENARIOS",
    "CannotCheck",
    "Report",
    "gateway_check_run",
]
