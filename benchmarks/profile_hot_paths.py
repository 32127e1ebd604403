"""Profile the hot paths with pyinstrument: receive, process (forward), and a sync page store.

Runs each path in this process against throw-away servers (see ``_harness``) and prints
pyinstrument's call tree of each, trimmed to the frames that take at least 2 % of the time:

- receive: ``--count`` signed 1 KiB deliveries through the real URL, middleware and view
  (Django's test ``Client``), each stored, logged and its message sent to Redis;
- process: ``--count`` pending webhooks claimed, forwarded to a local sink, logged, finished;
- sync: a 1C catalogue of ``--records`` items, pages of 1,000, stored by ``sync_job_execute``
  (first run, then the unchanged re-run).

    python benchmarks/profile_hot_paths.py [--count 500] [--records 20000] [--html DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _harness import bench_environment
from campaign import SECRET, catalogue_server, signed_delivery
from pyinstrument import Profiler

from core.testing.processes import SIGNATURE_HEADER, sink_process


def profiled(name: str, work: Callable[[], Any], html: Path | None) -> None:
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    work()
    profiler.stop()
    print(f"\n=== {name}: {time.perf_counter() - started:.2f} s")
    print(profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total"))
    if html:
        html.mkdir(parents=True, exist_ok=True)
        (html / f"{name}.html").write_text(profiler.output_html())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--html", type=Path, default=None)
    args = parser.parse_args()
    base = int(os.environ.get("BENCH_PORT_BASE", "18100")) + 80
    with bench_environment("profile", postgres_port=base, redis_port=base + 1):
        from django.test import Client

        from core.testing.onec_server import CATALOGUE, PASSWORD, USERNAME
        from integrations.models import Integration
        from syncjobs.models import SyncJob
        from vendhub_integrations.celery import app
        from webhooks.models import Webhook
        from webhooks.services import webhook_process

        client = Client(HTTP_HOST="localhost")
        with sink_process(base + 2) as (sink_url, _received):
            integration = Integration.objects.create(
                name="Profile", code="profile", type="erp", provider="erp", status="active",
                webhook_secret=SECRET, config={"forward_url": sink_url},
            )  # fmt: skip
            deliveries = [signed_delivery(f"evt-{n}") for n in range(args.count + 20)]

            def receive() -> None:
                for signature, body in deliveries[20:]:
                    response = client.post(
                        f"/api/webhooks/receive/{integration.code}",
                        data=body,
                        content_type="application/json",
                        headers={SIGNATURE_HEADER: signature},
                    )
                    assert response.status_code == 202, response.content

            for signature, body in deliveries[:20]:  # warm-up
                client.post(
                    f"/api/webhooks/receive/{integration.code}", data=body,
                    content_type="application/json", headers={SIGNATURE_HEADER: signature},
                )  # fmt: skip
            profiled("receive", receive, args.html)
            app.control.purge()
            ids = list(Webhook.objects.values_list("pk", flat=True))

            def process() -> None:
                for webhook_id in ids:
                    assert webhook_process(webhook_id=webhook_id) == "completed"

            profiled("process", process, args.html)

        with catalogue_server(args.records, base + 3) as root:
            from syncjobs.engine import sync_job_execute

            onec = Integration.objects.create(
                name="Profile 1C", code="profile-1c", type="erp", provider="1c",
                status="active", api_endpoint=root, api_key=USERNAME, api_secret=PASSWORD,
                config={"mapping": {"products": CATALOGUE}, "page_size": 1000},
            )  # fmt: skip
            for run in ("sync-first", "sync-rerun"):
                job = SyncJob.objects.create(integration=onec, job_type="manual_sync")
                profiled(run, partial(sync_job_execute, job_id=job.pk), args.html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
