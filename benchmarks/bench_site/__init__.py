"""A benchmark-only site: the project's settings and URLs plus the bare baselines ``make bench``
measures the hub against. Never part of the production URLconf or worker."""
