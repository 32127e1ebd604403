"""Recording alerts, and sending them through the channels.

Recording (``alert_record``) runs inside the caller's transaction and only writes: for each
channel that wants the event (``config.alerts``, read through ``AlertsSpec``) it adds the event
to that channel's pending alert of the same (event, integration), or opens one. A pending alert
is due once no new event came for ``ALERT_QUIET_SECONDS`` (at the latest
``ALERT_MAX_WAIT_SECONDS`` after its first event), and never before the cooldown since the
previous alert of its group ended (``not_before``): a burst of 200 failures is one message that
says 200, and what comes during the cooldown is the next message's count.

Sending (``alerts_send_due``) is Celery's: woken on commit, and swept by beat. Each alert is
claimed (``sending`` with a lease, so two workers never send it twice), sent, and recorded
``sent``; a channel that fails is tried again with backoff (its own ``retry_after`` first) and
recorded ``failed`` with the reason after ``ALERT_SEND_ATTEMPTS``. Each channel's alerts go in a
task of their own, so a channel that is down delays no other.

``worker.down`` and ``beat.down`` are watched from the other process (beat watches the worker,
the worker watches beat, each from a thread that also sends due alerts while the other is down);
``backlog`` by the webhooks app's beat check. Each is a condition (``condition_record``): alerted
when it begins, not on every look while it lasts.

- ``recording``: ``alert_record`` and ``condition_record``;
- ``sending``: claiming and sending the due alerts;
- ``messages``: the text of an alert;
- ``watching``: the worker's and beat's heartbeats, watched from the other process.
"""

from integrations.alerts.services.messages import alert_message
from integrations.alerts.services.recording import alert_record, condition_record
from integrations.alerts.services.sending import (
    SEND_LEASE,
    SendReport,
    alert_channels_due,
    alert_send,
    alerts_send_due,
)
from integrations.alerts.services.watching import (
    BACKLOG_AFTER,
    HEARTBEAT_DOWN_AFTER,
    WORKER_DOWN_CHECKS,
    alerts_check_heartbeats,
    alerts_watch,
)

__all__ = [
    "BACKLOG_AFTER",
    "HEARTBEAT_DOWN_AFTER",
    "SEND_LEASE",
    "WORKER_DOWN_CHECKS",
    "SendReport",
    "alert_channels_due",
    "alert_message",
    "alert_record",
    "alert_send",
    "alerts_check_heartbeats",
    "alerts_send_due",
    "alerts_watch",
    "condition_record",
]
