"""Writes on integrations and their logs. Views, admin actions, commands and tasks call these,
imported from here (``from integrations.services import integration_create``).

- ``integrations``: create, update, validate and soft-delete an integration;
- ``secrets``: secret changes and their record, plaintext for redaction, re-encryption;
- ``logs``: IntegrationLog entries, redacted and cut, and their purge;
- ``api_keys``: the hub's own API keys.
"""

from integrations.services.api_keys import api_key_create
from integrations.services.integrations import (
    integration_create,
    integration_delete,
    integration_update,
    integration_validate,
)
from integrations.services.logs import (
    integration_log_build,
    integration_log_create,
    integration_log_data,
    integration_log_endpoint,
    integration_log_purge,
)
from integrations.services.secrets import (
    ReencryptReport,
    integration_secret_values,
    secret_changes_record,
    secrets_reencrypt,
)

__all__ = [
    "ReencryptReport",
    "api_key_create",
    "integration_create",
    "integration_delete",
    "integration_log_build",
    "integration_log_create",
    "integration_log_data",
    "integration_log_endpoint",
    "integration_log_purge",
    "integration_secret_values",
    "integration_update",
    "integration_validate",
    "secret_changes_record",
    "secrets_reencrypt",
]
