"""``Integration.config`` read once, typed, with the contract's defaults.

``config`` is a JSON object operators write by hand (API, admin). Every reader in the hub goes
through ``IntegrationConfig``: ``IntegrationConfig.read(config)`` never fails (a value of the wrong
type, written before these rules or straight into the database, reads as the key's default), and
``config_errors(config)`` lists what is wrong with each known key, for a write (API, admin) to
refuse with a message that names the key. Keys the hub does not know are kept as written.

- ``integration``: ``IntegrationConfig``, its keys and defaults, ``config_errors``;
- ``alerts``: a notification channel's ``config.alerts`` (``AlertsSpec``) and recipients;
- ``values``: the parsers of one value (text, number, flag, mapping, tax id).
"""

from integrations.config.alerts import ALERT_EVENTS, DEFAULT_COOLDOWN_MINUTES, AlertsSpec
from integrations.config.integration import (
    DEFAULT_LEASE_SECONDS,
    IntegrationConfig,
    config_errors,
)
from integrations.config.values import ConfigValueError

__all__ = [
    "ALERT_EVENTS",
    "DEFAULT_COOLDOWN_MINUTES",
    "DEFAULT_LEASE_SECONDS",
    "AlertsSpec",
    "ConfigValueError",
    "IntegrationConfig",
    "config_errors",
]
