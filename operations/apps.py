"""The operations app: makes the hub's admin site (with the dashboard) Django's default site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = "Operations"


class VendHubAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the hub's site, whose first page is the dashboard; named in
    ``INSTALLED_APPS`` by its dotted path (it is not this module's default config)."""

    default = False
    default_site = "operations.admin_site.VendHubAdminSite"
