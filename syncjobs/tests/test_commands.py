"""The management commands: sync (inline and --wait), test_integration, run_scheduled_syncs,
and the beat entry that migrate installs."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from core.testing.onec_server import ODataServer
from core.testing.servers import REPO_ROOT
from integrations.models import Integration
from syncjobs.models import SyncedRecord, SyncJob

pytestmark = pytest.mark.django_db


def test_sync_inline_shows_the_outcome_and_exits_zero_when_completed(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("sync", "onec", "sync_products", "--inline", stdout=out, stderr=err)

    assert "completed: 5 read, 5 created, 0 updated, 0 failed" in out.getvalue()
    assert "records" in err.getvalue()  # the progress bar
    assert SyncedRecord.objects.count() == 5


def test_sync_exits_one_when_the_job_fails(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.api_secret = "wrong"
    onec_integration.save()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("sync", "onec", "--inline", stdout=out, stderr=io.StringIO())
    assert exited.value.code == 1
    assert "failed" in out.getvalue() and "401" in out.getvalue()


def test_sync_refuses_unknown_codes_types_and_a_second_job(
    onec_integration: Integration,
) -> None:
    with pytest.raises(CommandError, match="No integration"):
        call_command("sync", "nope")
    with pytest.raises(CommandError, match="Unknown job type"):
        call_command("sync", "onec", "weekly")
    call_command("sync", "onec", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already has a pending or running"):
        call_command("sync", "onec", stdout=io.StringIO())
    assert SyncJob.objects.get().status == "pending"


def test_sync_wait_gives_up_after_the_timeout_with_exit_one(
    onec_integration: Integration,
) -> None:
    with pytest.raises(SystemExit) as exited:
        call_command(
            "sync", "onec", "--wait", "--timeout", "0.5", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert exited.value.code == 1


def test_test_integration_exit_status(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    out = io.StringIO()
    call_command("test_integration", "onec", stdout=out)
    assert "Connected" in out.getvalue()

    onec_integration.api_secret = "wrong"
    onec_integration.save()
    with pytest.raises(SystemExit) as exited:
        call_command("test_integration", "onec", stdout=io.StringIO(), stderr=io.StringIO())
    assert exited.value.code == 1


@time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=UTC), tick=False)
def test_run_scheduled_syncs_command(onec_integration: Integration) -> None:
    Integration.objects.filter(pk=onec_integration.pk).update(
        auto_sync_enabled=True, sync_interval_minutes=60
    )
    out = io.StringIO()
    call_command("run_scheduled_syncs", stdout=out)
    assert "1 job(s) created" in out.getvalue()
    assert SyncJob.objects.get().job_type == "scheduled_sync"


def test_migrate_installs_the_scheduler_beat_entry() -> None:
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.get(task="syncjobs.run_scheduled_syncs")
    assert entry.enabled and entry.interval.every == 60 and entry.interval.period == "seconds"


@pytest.mark.parametrize("command", ["sync", "run_scheduled_syncs", "test_integration"])
def test_help(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", command, "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_ctrl_c_while_following_a_job_says_the_worker_goes_on(
    onec_integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncjobs.management.commands import sync as sync_command

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sync_command.Command, "_follow", interrupted)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("sync", "onec", "--wait", stdout=io.StringIO(), stderr=err)

    job = SyncJob.objects.get()
    assert exited.value.code == 130
    assert job.status == "pending"
    assert f"Stopped following job {job.pk}; the worker goes on with it." in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_ctrl_c_during_an_inline_sync_cancels_its_job(
    onec_integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncjobs.management.commands import sync as sync_command

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sync_command, "sync_job_execute", interrupted)
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("sync", "onec", "--inline", stdout=io.StringIO(), stderr=err)

    job = SyncJob.objects.get()
    assert exited.value.code == 130
    assert job.status == "cancelled"
    assert f"Interrupted: job {job.pk} is cancelled." in err.getvalue()


def test_test_integration_prints_the_result_once(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    out = io.StringIO()
    call_command("test_integration", "onec", stdout=out)

    line = out.getvalue().strip()
    assert line.startswith("onec: Connected: HTTP 200 in ")
    assert "(status" not in line
