"""The core app: no models, registered so its templates and tests are found."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
