"""The project's settings, with the benchmark URLconf (the real URLs plus the baseline view)."""

from vendhub_integrations.settings import *  # noqa: F403

ROOT_URLCONF = "bench_site.urls"
