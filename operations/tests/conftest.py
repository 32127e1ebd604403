"""Fixtures of the cockpit's tests: the webhooks tests' local forward target, shared here."""

from webhooks.tests.conftest import forward_server

__all__ = ["forward_server"]
