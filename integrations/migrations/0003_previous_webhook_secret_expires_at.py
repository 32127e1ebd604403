"""The previous webhook secret's expiry becomes a column beside the secret.

It was kept in ``config.previous_webhook_secret_expires_at``; the code relies on it (the overlap of
a rotation), so it earns a real DateTimeField. Existing values move over: an offset-less time is
UTC, as it was read before, and a value that is no date ends the overlap, as it did.
"""

from datetime import UTC

from django.db import migrations, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

KEY = "previous_webhook_secret_expires_at"


def _parse(raw):
    try:
        moment = parse_datetime(str(raw))
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def config_to_column(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    for integration in Integration._base_manager.filter(config__has_key=KEY).iterator():
        config = dict(integration.config)
        raw = config.pop(KEY)
        integration.previous_webhook_secret_expires_at = _parse(raw) if raw else None
        integration.config = config
        integration.save(update_fields=["config", "previous_webhook_secret_expires_at"])


def column_to_config(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    rows = Integration._base_manager.filter(previous_webhook_secret_expires_at__isnull=False)
    for integration in rows.iterator():
        integration.config = {
            **(integration.config or {}),
            KEY: integration.previous_webhook_secret_expires_at.isoformat(),
        }
        integration.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_worker_heartbeat")]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="previous_webhook_secret_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(config_to_column, column_to_config),
    ]
