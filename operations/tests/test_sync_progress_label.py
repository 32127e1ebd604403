"""The dashboard's bar of a running sync whose total is unknown says so ("8,000 records, total
unknown") instead of "0%"; a known percentage and a finished job still show theirs."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from syncjobs.models import SyncJobStatus
from syncjobs.tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "progress",
    [{"percent": None, "message": "products (1/1): page 16, 8000 read"}, {"percent": 0}],
    ids=["null", "stale-zero"],
)
def test_unknown_total_is_said_not_zero_percent(admin_client: Client, progress: dict) -> None:
    job = SyncJobFactory(
        status=SyncJobStatus.RUNNING, records_processed=8000, metadata={"progress": progress}
    )

    jobs = admin_client.get("/admin/dashboard/sync-progress.json").json()["jobs"]

    (shown,) = [item for item in jobs if item["id"] == str(job.pk)]
    assert shown["percent"] is None
    assert shown["label"] == "8,000 records, total unknown"
    page = admin_client.get("/admin/").content.decode()
    row = re.search(rf'<tr data-job-id="{job.pk}".*?</tr>', page, re.S)
    assert row, page
    assert "8,000 records, total unknown" in row.group(0)
    assert "0%" not in row.group(0)
    assert "aria-valuenow" not in row.group(0)  # an indeterminate bar


def test_a_known_percentage_and_a_finished_job_keep_theirs(admin_client: Client) -> None:
    running = SyncJobFactory(
        status=SyncJobStatus.RUNNING, records_processed=10, metadata={"progress": {"percent": 40}}
    )
    done = SyncJobFactory(
        status=SyncJobStatus.COMPLETED, records_processed=8000, completed_at=timezone.now()
    )

    jobs = {
        item["id"]: item
        for item in admin_client.get("/admin/dashboard/sync-progress.json").json()["jobs"]
    }

    assert (jobs[str(running.pk)]["percent"], jobs[str(running.pk)]["label"]) == (40, "40%")
    assert (jobs[str(done.pk)]["percent"], jobs[str(done.pk)]["label"]) == (100, "100%")


def test_a_job_that_has_read_nothing_yet_is_starting(admin_client: Client) -> None:
    job = SyncJobFactory(status=SyncJobStatus.PENDING, records_processed=0)

    jobs = admin_client.get("/admin/dashboard/sync-progress.json").json()["jobs"]

    (shown,) = [item for item in jobs if item["id"] == str(job.pk)]
    assert shown["percent"] is None
    assert shown["label"] == "0 records, total unknown"
