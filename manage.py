#!/usr/bin/env python
"""Django's command-line utility for the VendHub integration hub.

After ``make run``, ``.venv/bin/python manage.py …`` in a new shell uses its development settings
(``var/development.env``, see ``vendhub_integrations.startup``) where the environment sets none."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")
    from vendhub_integrations.startup import load_development_settings, var_dir_from_environment

    load_development_settings(var_dir_from_environment(Path(__file__).resolve().parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
