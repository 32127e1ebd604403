"""A running job's ``metadata.progress`` never claims 0 % once records were stored: the sources
do not say how many records there are, so ``percent`` is null until the job completes (100)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.testing.onec_server import CATALOGUE, ODataServer, catalogue_item
from integrations.models import Integration
from syncjobs.engine import SyncRun, sync_job_execute
from syncjobs.services import sync_job_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("entities", [1, 3], ids=["one-entity", "three-entities"])
def test_percent_is_null_while_running_and_100_when_done(
    onec_integration: Integration,
    onec_server: ODataServer,
    monkeypatch: pytest.MonkeyPatch,
    entities: int,
) -> None:
    onec_server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 8)]
    mapping = {f"entity{n}": CATALOGUE for n in range(entities)}
    onec_integration.config = {**onec_integration.config, "mapping": mapping}
    onec_integration.save()
    saved: list[dict[str, Any]] = []
    original = SyncRun._save_metadata_fields

    def record(run: SyncRun) -> bool:
        saved.append(copy.deepcopy(run.metadata.get("progress") or {}))
        return original(run)

    monkeypatch.setattr(SyncRun, "_save_metadata_fields", record)
    job = sync_job_create(integration=onec_integration, job_type="manual_sync", enqueue=False)

    done = sync_job_execute(job_id=job.pk)

    assert done is not None and done.status == "completed", done and done.error_message
    running = [progress for progress in saved if progress.get("percent") != 100]
    assert any(progress.get("processed", 0) > 0 for progress in running), saved
    for progress in running:
        assert "percent" in progress and progress["percent"] is None, progress
    assert done.metadata["progress"]["percent"] == 100
