"""The integrations app's tables, one module per subject; every model and the constants other
apps use are importable from here (``from integrations.models import Integration``).

- ``integration``: Integration, its types, statuses and write rules;
- ``history``: IntegrationLog (one call in or out) and SecretChange (who changed a credential);
- ``heartbeats``: the workers' and beat's heartbeats, and the beat leader's lease;
- ``alerts``: Alert, ChannelToken and AlertCondition, the operators' alerts.
"""

from integrations.models.alerts import (
    Alert,
    AlertCondition,
    AlertEvent,
    AlertStatus,
    ChannelToken,
)
from integrations.models.heartbeats import BeatHeartbeat, BeatLeader, WorkerHeartbeat
from integrations.models.history import (
    SYSTEM_ACTOR,
    IntegrationLog,
    LogDirection,
    SecretChange,
    SecretChangeAction,
)
from integrations.models.integration import (
    CODE_PATTERN,
    DUPLICATE_CODE,
    EXPIRY_KEY,
    SECRET_FIELDS,
    Integration,
    IntegrationStatus,
    IntegrationType,
    LiveIntegrationManager,
    TimestampedModel,
    code_validator,
)

__all__ = [
    "CODE_PATTERN",
    "DUPLICATE_CODE",
    "EXPIRY_KEY",
    "SECRET_FIELDS",
    "SYSTEM_ACTOR",
    "Alert",
    "AlertCondition",
    "AlertEvent",
    "AlertStatus",
    "BeatHeartbeat",
    "BeatLeader",
    "ChannelToken",
    "Integration",
    "IntegrationLog",
    "IntegrationStatus",
    "IntegrationType",
    "LiveIntegrationManager",
    "LogDirection",
    "SecretChange",
    "SecretChangeAction",
    "TimestampedModel",
    "WorkerHeartbeat",
    "code_validator",
]
