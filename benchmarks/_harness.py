"""What every benchmark shares: a throw-away place to run in, and one way to report figures.

``bench_environment("name")`` prepares the environment as the test suite does (throw-away
PostgreSQL and Redis when ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are unset), then, so that a
benchmark never touches a user's data even when those variables point at real servers:

- creates and migrates its own database ``bench_<name>`` with Django's test-database machinery
  (an old one of that name, left by a killed run, is replaced) and drops it at the end;
- uses the highest-numbered Redis database that is empty when it starts, and empties it again
  at the end (the broker URL's own database is never used).

Figures are reported, per the project's rule, as absolute values together with their ratio to a
baseline measured in the same run, so that a slower or busier machine moves both alike:
``print_table(title, figures)``.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from core.testing.environment import (  # noqa: E402
    prepare_environment,
    stop_services,
)


@dataclass(frozen=True)
class BenchEnvironment:
    database_name: str
    broker_url: str


def _with_redis_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


def _empty_redis_database(url: str) -> str:
    """The broker URL moved to the highest-numbered Redis database that holds no key."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        databases = client.config_get("databases").get("databases", "16")
        count = int(databases) if databases is not None else 16
    except redis.ResponseError:  # CONFIG may be disabled on a managed server
        count = 16
    current = client.connection_pool.connection_kwargs.get("db", 0)
    for number in range(count - 1, 0, -1):
        if number == current:
            continue
        if redis.Redis.from_url(_with_redis_db(url, number)).dbsize() == 0:
            return _with_redis_db(url, number)
    raise RuntimeError(f"no empty Redis database on {urlsplit(url).netloc} to run the benchmark in")


@contextmanager
def bench_environment(
    name: str, *, postgres_port: int | None = None, redis_port: int | None = None
) -> Iterator[BenchEnvironment]:
    """Django set up on a fresh ``bench_<name>`` database and an empty Redis database; throw-away
    servers, when started, listen on ``postgres_port`` / ``redis_port`` (default: any free one)."""
    prepare_environment(postgres_port=postgres_port, redis_port=redis_port)
    broker_url = _empty_redis_database(os.environ["CELERY_BROKER_URL"])
    os.environ["CELERY_BROKER_URL"] = broker_url
    import django

    django.setup()
    import redis
    from django.db import connection

    user_database = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{name}"
    database_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        yield BenchEnvironment(database_name=database_name, broker_url=broker_url)
    finally:
        connection.creation.destroy_test_db(user_database, verbosity=0)
        redis.Redis.from_url(broker_url).flushdb()
        stop_services()


@dataclass(frozen=True)
class Figure:
    """One measured value; with a ``baseline`` its ratio (value / baseline value) is shown."""

    label: str
    value: float
    unit: str
    detail: str = ""
    baseline: Figure | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.value:
            return None
        return self.value / self.baseline.value


def rate(
    label: str,
    count: int,
    seconds: float,
    unit: str,
    *,
    baseline: Figure | None = None,
    detail: str | None = None,
) -> Figure:
    """``count`` things in ``seconds`` as a per-second figure, the raw numbers as its detail."""
    value = count / seconds if seconds else 0.0
    return Figure(label, value, unit, detail or f"{count} in {seconds:.2f} s", baseline)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile by linear interpolation (``statistics.quantiles``' inclusive)."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def print_table(title: str, figures: Sequence[Figure]) -> None:
    """Print ``figures`` as a table: value, unit, ratio to its baseline, the baseline, detail."""
    rows = [
        (
            figure.label,
            _number(figure.value),
            figure.unit,
            f"{figure.ratio:.2f}×" if figure.ratio is not None else "",
            figure.baseline.label if figure.baseline else "",
            figure.detail,
        )
        for figure in figures
    ]
    header = ("measurement", "value", "unit", "ratio", "ratio to", "detail")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    aligns = ["<", ">", "<", ">", "<", "<"]

    def line(cells: Sequence[str]) -> str:
        padded = zip(cells, aligns, widths, strict=True)
        return "  ".join(f"{cell:{align}{width}}" for cell, align, width in padded).rstrip()

    print(f"\n{title}")
    print(line(header))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))
    sys.stdout.flush()
