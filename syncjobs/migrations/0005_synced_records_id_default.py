"""PostgreSQL makes the ids of synced records itself: a first load COPYs its pages straight
into the table (syncjobs.writers.statements). Other databases keep Django's uuid4 only."""

from django.db import migrations

FORWARD = "ALTER TABLE synced_records ALTER COLUMN id SET DEFAULT gen_random_uuid()"
BACKWARD = "ALTER TABLE synced_records ALTER COLUMN id DROP DEFAULT"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("syncjobs", "0004_synced_records_no_db_foreign_keys"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
