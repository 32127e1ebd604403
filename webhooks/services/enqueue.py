"""Enqueueing: the wake-up message that asks a worker to process a stored webhook.

The row is the truth; a message that cannot be sent is left to the sweeper.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.utils import timezone

from webhooks.models import Webhook
from webhooks.services._common import BROKER_PAUSE_SECONDS

logger = logging.getLogger(__name__)

_broker_paused_until = 0.0


def webhook_enqueue(
    *, webhook_id: Any, countdown: float = 0, force: bool = False, stamped: bool = False
) -> bool:
    """Send the wake-up message. A broker that is down is logged, never raised: the row is
    stored and the sweeper sends the message once the broker is back.

    ``stamped``: the row already carries ``enqueued_at`` (the receive writes it with the insert,
    saving an UPDATE per webhook); then only a message that could not be sent costs a write,
    clearing the stamp so the sweeper sends it within seconds. A process that dies between the
    commit and the send leaves a stamp without a message: the sweeper sends it again once the
    stamp is ``_REQUEUE_AFTER`` old, as for any lost message.

    After a failure this process stops trying for a short while (``force`` tries anyway): every
    try costs up to ``CELERY_BROKER_CONNECTION_TIMEOUT``, and during an outage the senders'
    requests should not each wait for it.
    """
    global _broker_paused_until
    from webhooks.tasks import process_webhook

    if not force and time.monotonic() < _broker_paused_until:
        logger.info("webhook %s stored; broker recently down, left to the sweeper", webhook_id)
        if stamped:
            _unstamp(webhook_id)
        return False
    try:
        process_webhook.apply_async(
            # celery-types says countdown: float; None (send now) is what Celery defaults it to.
            args=(str(webhook_id),),
            countdown=countdown or None,  # type: ignore[arg-type]
        )
    except Exception as error:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "webhook %s stored but not enqueued (%s: %s); the sweeper will send it",
            webhook_id,
            type(error).__name__,
            error,
        )
        if stamped:
            _unstamp(webhook_id)
        return False
    _broker_paused_until = 0.0
    if not stamped:
        Webhook.objects.filter(pk=webhook_id).update(
            enqueued_at=timezone.now() + timedelta(seconds=countdown)
        )
    return True


def _unstamp(webhook_id: Any) -> None:
    """The message was not sent: the sweeper's "never sent" rule must see the row."""
    Webhook.objects.filter(pk=webhook_id).update(enqueued_at=None)
