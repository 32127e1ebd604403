"""Admin screens for integrations and their logs.

Secrets are entered through write-only password inputs and shown only as "set" / "not set". Other
apps add operator actions to the integration list with ``register_integration_action`` (the sync
engine adds "test connection" and "trigger sync", the webhook pipeline "rotate webhook secret");
an action registered with a ``button`` label is also a button on the integration's page, which
runs the same action on that one integration.

Django autodiscovers this package; importing ``integration``, ``logs`` and ``secret_changes``
registers the model admins. ``forms``, ``filters`` and ``actions`` hold what they use.
"""

from integrations.admin.actions import register_integration_action
from integrations.admin.alerts import AlertAdmin
from integrations.admin.filters import DeletedFilter, HasSecretFilter
from integrations.admin.forms import IntegrationAdminForm, PrettyJSONField
from integrations.admin.integration import IntegrationAdmin
from integrations.admin.logs import IntegrationLogAdmin
from integrations.admin.secret_changes import SecretChangeAdmin

__all__ = [
    "AlertAdmin",
    "DeletedFilter",
    "HasSecretFilter",
    "IntegrationAdmin",
    "IntegrationAdminForm",
    "IntegrationLogAdmin",
    "PrettyJSONField",
    "SecretChangeAdmin",
    "register_integration_action",
]
