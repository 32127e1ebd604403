"""Writes on integrations and their logs. Views, admin actions, commands and tasks call these,
imported from here (``from integrations.services import integration_create``).

- ``integrations``: create, update, validate and soft-delete an integration;
- ``secrets``: secret changes and their record, re-encryption;
- ``connection``: the connection test and the locked merge into ``metadata``;
- ``api_keys``: the hub's own API keys.

IntegrationLog entries are written by ``integrations.log_entries`` and an integration's plaintext
secrets (for redaction) read by ``integrations.selectors``, below the HTTP client that both
serve; they are re-exported here for the apps that log a call of their own.
"""

from integrations.log_entries import (
    integration_log_build,
    integration_log_create,
    integration_log_data,
    integration_log_endpoint,
    integration_log_purge,
)
from integrations.selectors import integration_secret_values
from integrations.services.api_keys import api_key_create
from integrations.services.connection import (
    integration_metadata_update,
    integration_test_connection,
)
from integrations.services.integrations import (
    integration_create,
    integration_delete,
    integration_update,
    integration_validate,
)
from integrations.services.secrets import (
    ReencryptReport,
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
    "integration_metadata_update",
    "integration_secret_values",
    "integration_test_connection",
    "integration_update",
    "integration_validate",
    "secret_changes_record",
    "secrets_reencrypt",
]
