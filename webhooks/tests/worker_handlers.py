"""A handler for the wiring tests, loaded into the real worker with ``--include``.

For webhooks of provider ``worker-test``: it appends its process id to the file named by
``payload.marker``, then, on the first attempt only, sleeps ``payload.sleep`` seconds (long enough
for the test to kill the worker mid-processing).
"""

from __future__ import annotations

import os
import time

from webhooks.handlers import webhook_handler
from webhooks.models import Webhook


@webhook_handler(provider="worker-test")
def slow_on_first_attempt(webhook: Webhook) -> None:
    with open(webhook.payload["marker"], "a") as marker:
        marker.write(f"{os.getpid()}\n")
    if webhook.retry_count == 0 and webhook.payload.get("sleep"):
        time.sleep(float(webhook.payload["sleep"]))
