"""Settings of the VendHub integration hub, read from the environment through django-environ.

Every knob is an environment variable with a safe development default. With ``DJANGO_DEBUG`` off,
a missing secret is a refusal to start (one line on stderr, exit status 1), never a silent default.

Django reads this package as one settings module. Its sections, each a module imported here in
the order they are evaluated: ``environment`` (the environment, folders, debug mode and secrets),
``application`` (Django's own), ``api`` (REST framework and the schema), ``tasks`` (Celery),
``hub`` (the hub's knobs, alerts, outbound protection) and ``structured_logging``.
"""

# The order below is the order the sections run in (each reads what an earlier one set); isort
# would sort it alphabetically.
# isort: off
from vendhub_integrations.settings.environment import *  # noqa: F403
from vendhub_integrations.settings.application import *  # noqa: F403
from vendhub_integrations.settings.api import *  # noqa: F403
from vendhub_integrations.settings.tasks import *  # noqa: F403
from vendhub_integrations.settings.hub import *  # noqa: F403
from vendhub_integrations.settings.structured_logging import *  # noqa: F403
# isort: on
