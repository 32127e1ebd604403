"""Alert tests send at once: no gathering delay and no backoff unless a test sets them."""

import pytest


@pytest.fixture(autouse=True)
def _alerts_without_delays(settings):
    settings.ALERT_QUIET_SECONDS = 0
    settings.ALERT_MAX_WAIT_SECONDS = 0
    settings.ALERT_RETRY_BASE_SECONDS = 0
    settings.ALERT_SEND_ATTEMPTS = 3
    settings.HUB_PUBLIC_URL = "https://hub.vendhub.example"
