"""The bare Celery task of the processing baseline: the same HTTP POST the hub's forward makes,
with nothing around it (no row to claim, no log, no status to write)."""

from __future__ import annotations

import requests
from celery import shared_task


@shared_task(name="bench.bare_post", ignore_result=True)
def bare_post(url: str, body: str, headers: dict[str, str]) -> int:
    response = requests.post(url, data=body.encode(), headers=headers, timeout=30)
    response.raise_for_status()
    return response.status_code
