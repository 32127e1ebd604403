"""One leading beat (CONTRACT "Several hosts"): any number of beat processes, one sends; another
takes over within 60 s of the leader's death; a periodic task is never sent twice per interval;
``/healthz`` names the leader's host and pid, never the database's address."""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest.mock import Mock

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from integrations import leadership
from integrations.heartbeats import beat_heartbeat_record
from integrations.leadership import Leadership, current_leader
from integrations.models import BeatLeader

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_lease(settings):
    settings.BEAT_LEADER_LEASE_SECONDS = 3
    settings.BEAT_LEADER_RENEW_SECONDS = 1
    return settings


def test_one_of_two_beats_leads_and_the_other_takes_over_after_the_lease(short_lease) -> None:
    first, second = Leadership(host="app-1", pid=101), Leadership(host="app-2", pid=202)

    assert first.renew() is True
    assert second.renew() is False
    assert first.leading() and not second.leading()
    assert current_leader() == leadership.Leader(host="app-1", pid=101)

    # The leader renews: the follower still cannot take over.
    assert first.renew() is True
    assert second.renew() is False

    # The leader stops renewing (killed); once the lease expired in the database, the follower
    # takes it, and the old leader, renewing late, finds it taken and follows.
    BeatLeader.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert second.renew() is True
    assert first.renew() is False
    assert not first.leading()
    assert current_leader() == leadership.Leader(host="app-2", pid=202)


def test_a_released_lease_is_taken_at_once(short_lease) -> None:
    first, second = Leadership(host="app-1", pid=1), Leadership(host="app-2", pid=2)
    assert first.renew()
    first.release()
    assert not first.leading()
    assert current_leader() is None
    assert second.renew()


def test_a_leader_that_loses_its_database_stops_leading_before_its_lease_can_expire(
    short_lease, monkeypatch
) -> None:
    beat = Leadership(host="app-1", pid=1)
    assert beat.renew()

    def broken(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(leadership.transaction, "atomic", broken)
    # The error is logged, not raised; the lease already held still counts until it runs out,
    # measured from when it was renewed, a safety margin before the database's expiry.
    assert beat.renew() is True
    time.sleep(3 - leadership.SAFETY_MARGIN_SECONDS + 0.2)
    assert beat.renew() is False
    assert not beat.leading()


def test_healthz_names_the_leading_beat_host_and_pid_not_the_database(anonymous_client) -> None:
    beat_heartbeat_record()
    assert Leadership(host="app-7.example", pid=4242).renew()

    body = anonymous_client.get("/healthz").json()

    assert body["beat"] == "ok (leader app-7.example, pid 4242)"
    settings_dict = connection.settings_dict
    text = json.dumps(body)
    for secret in (settings_dict.get("HOST"), settings_dict.get("PASSWORD"), "5432"):
        if secret:
            assert secret not in text


def test_healthz_without_a_leader_shows_the_heartbeat_alone(anonymous_client) -> None:
    beat_heartbeat_record()
    BeatLeader.objects.create(
        name="beat",
        holder="gone",
        host="app-9",
        pid=9,
        acquired_at=timezone.now() - timedelta(minutes=5),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    assert anonymous_client.get("/healthz").json()["beat"] == "ok"


def test_a_scheduler_that_does_not_lead_sends_nothing(short_lease) -> None:
    from celery import current_app as app
    from celery.beat import SchedulingError

    LeaderScheduler = configured_scheduler()

    assert Leadership(host="app-1", pid=1).renew()
    scheduler = LeaderScheduler(app=app, lazy=True)

    # It follows: the tick sends nothing and asks to be called again at the next renewal.
    assert 0.5 <= scheduler.tick() <= 1.0
    assert not scheduler.leadership.leading()
    entry = SimpleNamespace(name="webhooks: sweep", task="webhooks.sweep", args=(), kwargs={})
    with pytest.raises(SchedulingError, match="no longer leads"):
        scheduler.apply_async(entry, advance=False)


def test_a_failed_send_drops_the_broker_connection_for_a_new_one(short_lease, monkeypatch) -> None:
    from celery import current_app as app
    from celery.beat import Scheduler

    LeaderScheduler = configured_scheduler()

    scheduler = LeaderScheduler(app=app, lazy=True)
    assert scheduler.leadership.renew()
    producer, connection = Mock(), Mock()
    scheduler.__dict__.update(producer=producer, connection=connection)

    def dead_connection(*args, **kwargs):
        raise ConnectionResetError("Server unexpectedly closed connection")

    monkeypatch.setattr(Scheduler, "apply_async", dead_connection)
    entry = SimpleNamespace(name="webhooks: sweep", task="webhooks.sweep", args=(), kwargs={})
    with pytest.raises(ConnectionResetError):
        scheduler.apply_async(entry, advance=False)

    # The next send opens a new connection instead of failing on the dead one for good.
    assert "producer" not in scheduler.__dict__ and "connection" not in scheduler.__dict__
    producer.release.assert_called_once()
    connection.collect.assert_called_once()


# --- two real beat processes ---------------------------------------------------------------------

SENT = re.compile(r"Sending due task leader-probe\b")
STAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?)")
INTERVAL = 6


def _send_times(*outputs: str) -> list[datetime]:
    times = []
    for output in outputs:
        for line in output.splitlines():
            if SENT.search(line):
                stamp = STAMP.search(line)
                assert stamp, line
                times.append(datetime.fromisoformat(stamp.group(1).replace(" ", "T")))
    return sorted(times)


@pytest.mark.worker
def test_killing_the_leading_beat_hands_over_within_60_s_and_nothing_runs_twice(
    transactional_db, worker_broker_url
) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from core.testing.processes import wait_until
    from core.testing.worker import celery_beat

    # Only the probe is scheduled, every INTERVAL seconds; nothing consumes it (no worker), the
    # beats' logs say when each was sent.
    PeriodicTask.objects.update(enabled=False)
    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=INTERVAL, period=IntervalSchedule.SECONDS
    )
    # A task whose sends beat logs at INFO (routine sweeps log theirs at DEBUG only).
    PeriodicTask.objects.create(
        name="leader-probe", task="integrations.purge_logs", interval=schedule
    )
    # The defaults (lease 20 s, renewed every 5 s) are what production runs.
    with celery_beat(broker_url=worker_broker_url) as first:
        assert wait_until(lambda: "this process leads now" in first.output(), timeout=30), (
            first.output()[-3000:]
        )
        with celery_beat(broker_url=worker_broker_url) as second:
            time.sleep(2.5 * INTERVAL)
            leader = current_leader()
            assert leader is not None and leader.pid == first.process.pid
            assert "leads now" not in second.output()
            assert not SENT.search(second.output()), "the follower sent a periodic task"
            assert len(_send_times(first.output())) >= 2

            first.kill()  # SIGKILL: no release, the lease must run out
            killed_at = time.monotonic()
            assert wait_until(
                lambda: "this process leads now" in second.output(), timeout=60, interval=0.5
            ), second.output()[-3000:]
            took_over = time.monotonic() - killed_at
            assert took_over <= 60
            leader = current_leader()
            assert leader is not None and leader.pid == second.process.pid
            time.sleep(2.2 * INTERVAL)
            sent = _send_times(first.output(), second.output())
            second_output = second.output()

    assert SENT.search(second_output), "the new leader never sent the periodic task"
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(sent)]
    # Never twice within an interval (beat's own timing may be early by its 10 ms drift).
    assert min(gaps) >= INTERVAL - 0.5, (gaps, took_over)


def configured_scheduler() -> Any:
    """The scheduler class beat runs (``CELERY_BEAT_SCHEDULER``), the project's LeaderScheduler."""
    from celery.utils.imports import symbol_by_name
    from django.conf import settings

    return symbol_by_name(settings.CELERY_BEAT_SCHEDULER)
