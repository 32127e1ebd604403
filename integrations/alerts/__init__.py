"""Alerts: operators are told when something goes wrong (CONTRACT "Alerts").

Any app's services call ``alert_record`` where a state changes (a webhook reaches ``failed``, a
job fails, a connection test fails...), inside their own transaction: it only writes rows.
Celery sends them through the channel providers (``telegram``, ``smtp``, ``eskiz``): a task
woken on commit, and the beat sweep every ``ALERT_SWEEP_SECONDS`` so nothing waits on a broker
that was down. See ``integrations.alerts.services`` for the grouping and the cooldown.
"""

from integrations.alerts.services import (
    alert_record,
    alerts_check_heartbeats,
    alerts_send_due,
    condition_record,
)

__all__ = ["alert_record", "alerts_check_heartbeats", "alerts_send_due", "condition_record"]
