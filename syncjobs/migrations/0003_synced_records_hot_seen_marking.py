"""Let a sync mark an unchanged record as seen with a HOT update.

Every sync sets ``last_synced_at`` and ``last_job_id`` on every record it reads. With an index
on ``last_synced_at`` each of those updates was a new row version plus an entry in all four
indexes. Without it, and with room left on each heap page (fillfactor 50), the new version
goes on the same page and no index changes; the previous sync's versions are pruned when the
page fills up again. Nothing reads synced records by ``last_synced_at`` through an index: the
API's ``synced_after`` filter matches most rows after any full sync, and ordering by it sorts.
"""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE synced_records SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE synced_records RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("syncjobs", "0002_synced_records"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="syncedrecord",
            name="synced_records_last_sync_idx",
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
