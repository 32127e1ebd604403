"""The fault suite (`make faults`): the hub's promises checked with real processes under faults.

It starts everything itself, on loopback ports of FAULTS_PORTS (default 18000-18099): a throw-away
PostgreSQL and broker (never the machine's own servers, which are never stopped): Redis, or
RabbitMQ with ``BROKER=rabbitmq`` (``make faults BROKER=rabbitmq``; Debian's rabbitmq-server is
installed when missing and apt can, else the suite says why it cannot run and exits 0), the web app
under gunicorn with 2 workers, two Celery workers, beat, a forward destination that records
every X-Webhook-Id, and the local 1C OData server for syncs. A sender thread posts a steady
stream of signed webhooks (retrying what is not answered 2xx, as real senders do) while each
scenario injects one fault. A scenario prints sent / accepted / completed / lost / completed
twice / stuck / failed and its recovery time: from the fault to every webhook it accepted being
completed. The suite exits 1 on any lost, twice-completed, stuck or failed webhook, any 503
without Retry-After, a 2xx for a row that is not in the database, or a killed worker's webhook
(or sync job) not recovered within 60 s.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.testing.processes import (  # noqa: E402
    SIGNATURE_HEADER,
    ChildProcess,
    ForwardSink,
    celery_command,
    gunicorn_command,
    sign_body,
    wait_until,
)
from core.testing.servers import (  # noqa: E402
    ThrowAwayServices,
    free_port_in,
)

FIRST_PORT, LAST_PORT = (int(p) for p in os.environ.get("FAULTS_PORTS", "18000-18099").split("-"))
RATE_PER_SECOND = float(os.environ.get("FAULTS_RATE", "5"))
DRAIN_TIMEOUT = 150.0  # seconds a scenario may take to recover before what is left counts stuck
KILL_RECOVERY_LIMIT = 60.0  # the promise for a SIGKILLed worker's webhook / sync job
SECRET = secrets.token_hex(16)  # the throw-away integration's webhook secret
PYTHON = sys.executable
BROKER = os.environ.get("BROKER", "redis").strip().lower() or "redis"
BROKER_NAME = {"redis": "Redis", "rabbitmq": "RabbitMQ"}.get(BROKER, BROKER)


class Skip(Exception):
    """The suite cannot run here (what is missing is the message); it exits 0 with no result."""


def ensure_rabbitmq() -> None:
    """Debian's rabbitmq-server when it is missing and apt can install it (as root)."""
    from core.testing.servers import find_rabbitmq_server

    if find_rabbitmq_server() is not None:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's rabbitmq-server for the RabbitMQ cases")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "rabbitmq-server"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        # Its package starts the system's node; the suite runs its own and leaves that alone.
    if find_rabbitmq_server() is None:
        raise Skip("no rabbitmq-server and apt could not install it (Debian: rabbitmq-server)")


def start_broker(services: ThrowAwayServices, port: int) -> str:
    if BROKER == "redis":
        return services.start_redis(port=port)
    if BROKER == "rabbitmq":
        ensure_rabbitmq()
        return services.start_rabbitmq(port=port)
    raise SystemExit(f"BROKER must be redis or rabbitmq, not {BROKER!r}")


def restart_broker(services: ThrowAwayServices, down_seconds: float) -> None:
    if BROKER == "rabbitmq":
        services.restart_rabbitmq(down_seconds=down_seconds)
    else:
        services.restart_redis(down_seconds=down_seconds)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def next_port() -> int:
    port = free_port_in(next_port.start, LAST_PORT)  # type: ignore[attr-defined]
    next_port.start = port + 1  # type: ignore[attr-defined]
    return port


next_port.start = FIRST_PORT  # type: ignore[attr-defined]


# --- the forward destination ---------------------------------------------------------------------


def start_destination(host: str = "127.0.0.1") -> ForwardSink:
    """The forward destination: answers 200 after 0.05 s (a scenario slows it down), recording
    each delivery's X-Webhook-Id and body id."""
    return ForwardSink(host=host, port=next_port(), delay=0.05, record=True).start()


# --- the sender ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    external_id: str
    scenario: str
    body: bytes
    accepted_at: float | None = None
    webhook_id: str | None = None
    attempts: int = 0
    answers: Counter[int] = field(default_factory=Counter)
    next_try: float = 0.0


class Sender:
    """Posts RATE_PER_SECOND new signed webhooks a second and retries the unanswered ones."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.scenario = "warm-up"
        self.deliveries: list[Delivery] = []
        self.pending_retry: list[Delivery] = []
        self.no_retry_after = 0  # 503s without a Retry-After header
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.session = requests.Session()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.sequence = 0

    def _new(self) -> Delivery:
        self.sequence += 1
        external_id = f"fault-{self.sequence:06d}"
        body = json.dumps({"id": external_id, "type": "fault.test", "seq": self.sequence}).encode()
        delivery = Delivery(external_id=external_id, scenario=self.scenario, body=body)
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    def _post(self, delivery: Delivery) -> None:
        delivery.attempts += 1
        try:
            response = self.session.post(
                self.url,
                data=delivery.body,
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign_body(SECRET, delivery.body),
                },
                timeout=10,
            )
        except requests.RequestException:
            delivery.answers[0] += 1  # no answer (connection refused or reset)
            delivery.next_try = time.monotonic() + 1.0
            with self.lock:
                self.pending_retry.append(delivery)
            return
        delivery.answers[response.status_code] += 1
        if response.status_code in (200, 202):
            delivery.accepted_at = time.monotonic()
            delivery.webhook_id = response.json()["id"]
            return
        wait = 1.0
        if response.status_code == 503:
            retry_after = response.headers.get("Retry-After")
            if not retry_after:
                self.no_retry_after += 1
            # A real sender waits Retry-After; this one caps it so the suite stays short.
            wait = min(float(retry_after or 1), 2.0)
        delivery.next_try = time.monotonic() + wait
        with self.lock:
            self.pending_retry.append(delivery)

    def _run(self) -> None:
        interval = 1.0 / RATE_PER_SECOND
        next_new = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            with self.lock:
                due = [d for d in self.pending_retry if d.next_try <= now]
                self.pending_retry = [d for d in self.pending_retry if d.next_try > now]
            for delivery in due:
                self._post(delivery)
            if now >= next_new:
                self._post(self._new())
                next_new += interval
                if next_new < now - 1:  # fell behind (a slow answer): do not burst to catch up
                    next_new = now + interval
            time.sleep(0.01)

    def of(self, scenario: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.scenario == scenario]


# --- waits ---------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """``wait_until`` as every wait of the suite needs it: an error (the database or the broker
    being down) counts as "not yet"."""
    return wait_until(condition, timeout=timeout, interval=interval, ignore_errors=True)


# --- checks against the database -----------------------------------------------------------------


def rows_of(external_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """external id -> [(webhook id, status)], read fresh (the connection may have been cut)."""
    from django.db import connection

    from webhooks.models import Webhook

    rows: dict[str, list[tuple[str, str]]] = defaultdict(list)
    try:
        for start in range(0, len(external_ids), 1000):
            chunk = external_ids[start : start + 1000]
            for pk, external_id, status in Webhook.objects.filter(
                external_id__in=chunk
            ).values_list("pk", "external_id", "status"):
                rows[str(external_id)].append((str(pk), status))
    except Exception:
        connection.close()
        raise
    return rows


def all_completed(deliveries: list[Delivery]) -> bool:
    accepted = [d for d in deliveries if d.accepted_at is not None]
    if len(accepted) < len(deliveries):
        return False
    rows = rows_of([d.external_id for d in accepted])
    return all(
        rows.get(d.external_id) and all(s == "completed" for _, s in rows[d.external_id])
        for d in accepted
    )


@dataclass
class Result:
    name: str
    sent: int = 0
    accepted: int = 0
    completed: int = 0
    lost: int = 0
    twice: int = 0
    stuck: int = 0
    failed: int = 0
    refused: int = 0  # answers other than 2xx (503 while the database is down, resets)
    answers: Counter[int] = field(default_factory=Counter)  # every answer code (0: none)
    repeats: int = 0  # repeated forwards of one webhook (allowed: same X-Webhook-Id)
    recovery: float | None = None
    notes: list[str] = field(default_factory=list)
    limit: float | None = None

    @property
    def ok(self) -> bool:
        within = self.recovery is not None and (self.limit is None or self.recovery <= self.limit)
        server_errors = sum(n for code, n in self.answers.items() if code >= 500 and code != 503)
        return (
            not (self.lost or self.twice or self.stuck or self.failed or server_errors) and within
        )


def tally(name: str, deliveries: list[Delivery], destination: ForwardSink) -> Result:
    result = Result(name=name, sent=len(deliveries))
    accepted = [d for d in deliveries if d.accepted_at is not None]
    result.accepted = len(accepted)
    for delivery in deliveries:
        result.answers.update(delivery.answers)
    result.refused = sum(
        n for d in deliveries for code, n in d.answers.items() if code >= 300 or code == 0
    )
    rows = rows_of([d.external_id for d in deliveries])
    with destination.lock:
        webhooks_of = {k: set(v) for k, v in destination.webhooks_of.items()}
        forwards = Counter(destination.by_webhook)
    for delivery in deliveries:
        found = rows.get(delivery.external_id, [])
        statuses = [status for _, status in found]
        if delivery.accepted_at is not None and not found:
            result.lost += 1  # answered 2xx, yet no row: the promise broken
            continue
        if len(found) > 1 or len(webhooks_of.get(delivery.external_id, set())) > 1:
            result.twice += 1
        if "completed" in statuses:
            result.completed += 1
            webhook_id = found[0][0]
            if forwards.get(webhook_id, 0) == 0:
                result.lost += 1  # completed, but the destination never saw it
            result.repeats += max(0, forwards.get(webhook_id, 0) - 1)
        elif any(s in ("pending", "processing") for s in statuses):
            result.stuck += 1
        elif "failed" in statuses:
            result.failed += 1
        elif delivery.accepted_at is not None:
            result.lost += 1
    unanswered = len(deliveries) - len(accepted)
    if unanswered:
        result.notes.append(f"{unanswered} never answered 2xx")
        result.stuck += unanswered
    return result


# --- the suite -----------------------------------------------------------------------------------


class Suite:
    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="vendhub-faults-"))
        os.chmod(self.workdir, 0o755)  # noqa: S103 (PostgreSQL runs as nobody under root)
        self.services = ThrowAwayServices(workdir=self.workdir / "services")
        self.services.workdir.mkdir()
        self.results: list[Result] = []
        self.processes: dict[str, ChildProcess] = {}
        self.keep_logs = True  # until the suite passed

    # setup
    def start(self) -> None:
        log(f"work folder {self.workdir}")
        database_url = self.services.start_postgres(port=next_port())
        broker_url = start_broker(self.services, next_port())
        var_dir = self.workdir / "var"
        var_dir.mkdir()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": base64.b64encode(os.urandom(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_COOKIES": "0",
            "VENDHUB_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        # This process reads the same database (to check outcomes) and sends sync jobs.
        os.environ.update({key: value for key, value in self.env.items() if key not in os.environ})
        for key in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG", "DJANGO_SECRET_KEY"):
            os.environ[key] = self.env[key]
        for key in ("FIELD_ENCRYPTION_KEYS", "DJANGO_ALLOWED_HOSTS", "VENDHUB_VAR_DIR"):
            os.environ[key] = self.env[key]
        os.environ["DJANGO_SETTINGS_MODULE"] = "vendhub_integrations.settings"
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=self.env,
            check=True,
        )
        import django

        django.setup()
        self.destination = start_destination()
        self._make_integrations()
        self.web_port = next_port()
        commands = {
            "web": self._web_command(),
            "worker1": self._worker_command("w1"),
            "worker2": self._worker_command("w2"),
            "beat": self._beat_command(),
        }
        self.processes = {
            name: ChildProcess(name, command, env=self.env, log_path=self.workdir / f"{name}.log")
            for name, command in commands.items()
        }
        for process in self.processes.values():
            process.start()
        base = f"http://127.0.0.1:{self.web_port}"
        if not self._web_answers(60):
            raise RuntimeError(
                "gunicorn did not answer:\n" + self.processes["web"].output()[-3000:]
            )
        for name in ("worker1", "worker2"):
            self.processes[name].wait_for_output(" ready.", timeout=90)
        self.sender = Sender(f"{base}/api/webhooks/receive/{self.integration.code}")
        self.sender.thread.start()
        log(f"all processes up; the sender runs at {RATE_PER_SECOND:.0f} webhooks/s")

    def _web_answers(self, timeout: float) -> bool:
        url = f"http://127.0.0.1:{self.web_port}/api/health"
        return wait_for(lambda: requests.get(url, timeout=2).status_code > 0, timeout)

    def _make_integrations(self) -> None:
        from integrations.tests.factories import IntegrationFactory

        self.integration = IntegrationFactory(
            code="faults",
            provider="erp",
            webhook_secret=SECRET,
            config={"forward_url": self.destination.url, "retry_attempts": 5, "timeout": 10000},
        )

    def _web_command(self) -> list[str]:
        return gunicorn_command(
            "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
            "--timeout", "30", "--graceful-timeout", "10",
        )  # fmt: skip

    def _worker_command(self, name: str) -> list[str]:
        return celery_command(
            "worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", f"{name}@%h",
        )  # fmt: skip

    def _beat_command(self) -> list[str]:
        return celery_command(
            "beat", "--loglevel", "INFO",
            "--scheduler", "vendhub_integrations.beat_scheduler:LeaderScheduler",
            "--pidfile", str(self.workdir / "beat.pid"),
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.sender.stop.set()
        for process in self.processes.values():
            process.stop(timeout=15)
        self.services.stop()
        if not self.keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # scenarios
    def scenario(
        self,
        name: str,
        fault: Callable[[], None],
        *,
        before: float = 3.0,
        after: float = 5.0,
        limit: float | None = None,
    ) -> Result:
        log(f"== {name}")
        self.sender.scenario = name
        time.sleep(before)
        fault_at = time.monotonic()
        fault()
        time.sleep(after)
        self.sender.scenario = f"after {name}"
        deliveries = self.sender.of(name)
        done = wait_for(lambda: all_completed(deliveries), DRAIN_TIMEOUT, interval=0.5)
        result = tally(name, deliveries, self.destination)
        result.recovery = time.monotonic() - fault_at if done else None
        result.limit = limit
        for process_name, process in self.processes.items():
            if not process.alive():
                result.notes.append(f"{process_name} is not running")
        self.results.append(result)
        recovery = f"{result.recovery:.1f} s" if result.recovery is not None else "not recovered"
        log(
            f"   sent {result.sent}, accepted {result.accepted}, completed {result.completed}, "
            f"lost {result.lost}, twice {result.twice}, stuck {result.stuck}, "
            f"failed {result.failed}; recovery {recovery}"
            + (f"; {'; '.join(result.notes)}" if result.notes else "")
        )
        log(
            "   answers: "
            + ", ".join(f"{code or 'none'} x{n}" for code, n in sorted(result.answers.items()))
        )
        return result

    def run(self) -> None:
        procs = self.processes

        self.scenario("steady stream, no fault", lambda: None)

        def kill_worker_mid_forward() -> None:
            self.destination.delay = 1.5  # forwards take long: both workers are mid-forward
            wait_for(lambda: self.destination.in_flight >= 3, 20, interval=0.05)
            log(f"   SIGKILL worker1 with {self.destination.in_flight} forwards in flight")
            procs["worker1"].kill()
            time.sleep(2)
            self.destination.delay = 0.05
            procs["worker1"].start()  # as a supervisor would

        self.scenario(
            "SIGKILL a worker mid-forward", kill_worker_mid_forward, limit=KILL_RECOVERY_LIMIT
        )

        def restart_the_broker() -> None:
            restart_broker(self.services, down_seconds=3.0)

        self.scenario(f"{BROKER_NAME} restart during receives", restart_the_broker)

        def restart_broker_while_processing() -> None:
            # Forwards slower than the stream: a backlog of messages builds up in the broker.
            # Redis (no persistence) loses it and the sweeper must find and resend those;
            # RabbitMQ keeps its durable queue and the messages in it.
            self.destination.delay = 1.5
            time.sleep(6)
            log(f"   restarting {BROKER_NAME} with messages queued and in flight")
            restart_broker(self.services, down_seconds=2.0)
            self.destination.delay = 0.05

        self.scenario(f"{BROKER_NAME} restart during processing", restart_broker_while_processing)

        def stop_postgres() -> None:
            self.services.stop_postgres()
            time.sleep(10)
            self.services.start_postgres_again()

        self.scenario("PostgreSQL stopped for 10 s", stop_postgres)

        def restart_beat() -> None:
            procs["beat"].stop()
            time.sleep(15)
            procs["beat"].start()

        self.scenario("beat stopped 15 s and restarted", restart_beat)

        def restart_web() -> None:
            procs["web"].stop()
            procs["web"].start()
            self._web_answers(30)

        self.scenario("web processes restarted", restart_web)

        self.sender.stop.set()
        self.sender.thread.join(timeout=15)
        leftovers = [d for d in self.sender.deliveries if d.scenario.startswith(("after ", "warm"))]
        wait_for(lambda: all_completed(leftovers), DRAIN_TIMEOUT, interval=0.5)
        between = tally("between scenarios", leftovers, self.destination)
        between.recovery = 0.0
        self.results.append(between)
        self.sync_scenario()

    def sync_scenario(self) -> None:
        """A 1C sync whose worker is SIGKILLed mid-page ends failed with the reason, then the next
        sync runs."""
        from core.testing.onec_server import (
            CATALOGUE,
            PASSWORD,
            USERNAME,
            ODataServer,
            catalogue_item,
        )
        from integrations.tests.factories import IntegrationFactory
        from syncjobs.models import SyncJob
        from syncjobs.services import sync_job_create

        name = "sync job: worker SIGKILLed mid-page"
        log(f"== {name}")
        result = Result(name=name, limit=KILL_RECOVERY_LIMIT)
        server = ODataServer(port=next_port()).start()
        server.keep_requests = False
        server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 201)]
        server.delay_seconds = 1.0
        onec = IntegrationFactory(
            code="faults-1c",
            type="erp",
            provider="1c",
            api_endpoint=server.root,
            api_key=USERNAME,
            api_secret=PASSWORD,
            config={"mapping": {"products": CATALOGUE}, "page_size": 5, "http_retries": 0},
        )
        procs = self.processes
        try:
            job = sync_job_create(integration=onec)

            def job_row() -> SyncJob:
                return SyncJob.objects.get(pk=job.pk)

            wait_for(lambda: job_row().records_processed >= 10, 60)
            log(f"   SIGKILL both workers with the job at {job_row().records_processed} records")
            procs["worker1"].kill()
            procs["worker2"].kill()
            killed_at = time.monotonic()
            procs["worker1"].start()
            procs["worker2"].start()
            ended = wait_for(lambda: job_row().status == "failed", 120, interval=0.5)
            failed_after = time.monotonic() - killed_at
            final = job_row()
            result.sent = 1
            result.accepted = 1
            if ended:
                result.notes.append(f"failed after {failed_after:.0f} s: {final.error_message}")
            else:
                result.stuck = 1
                result.notes.append(f"still {final.status} after {failed_after:.0f} s")
            server.delay_seconds = 0.0
            next_job = sync_job_create(integration=onec)
            completed = wait_for(
                lambda: SyncJob.objects.get(pk=next_job.pk).status == "completed", 90, interval=0.5
            )
            if completed:
                result.completed = 1
                result.recovery = time.monotonic() - killed_at
                result.notes.append(
                    f"next sync completed, {SyncJob.objects.get(pk=next_job.pk).records_processed}"
                    " records"
                )
            else:
                result.stuck += 1
                result.notes.append(f"next sync {SyncJob.objects.get(pk=next_job.pk).status}")
            if ended and failed_after > KILL_RECOVERY_LIMIT:
                result.recovery = failed_after
        finally:
            server.stop()
        self.results.append(result)
        log(f"   {'; '.join(result.notes)}")

    def report(self, started: float) -> bool:
        print(f"\nbroker: {BROKER_NAME}")
        header = (
            f"{'scenario':<38} {'sent':>5} {'accepted':>8} {'completed':>9} {'lost':>5} "
            f"{'twice':>5} {'stuck':>5} {'failed':>6} {'refused':>7} {'repeats':>7} {'recovery':>9}"
        )
        print("\n" + header)
        print("-" * len(header))
        for r in self.results:
            recovery = f"{r.recovery:.1f} s" if r.recovery is not None else "-"
            print(
                f"{r.name:<38} {r.sent:>5} {r.accepted:>8} {r.completed:>9} {r.lost:>5} "
                f"{r.twice:>5} {r.stuck:>5} {r.failed:>6} {r.refused:>7} {r.repeats:>7} "
                f"{recovery:>9}" + ("" if r.ok else "   <-- FAIL")
            )
        problems = [r.name for r in self.results if not r.ok]
        if self.sender.no_retry_after:
            problems.append(f"{self.sender.no_retry_after} answers 503 without Retry-After")
        for name in ("worker1", "worker2", "web"):
            if not self.processes[name].alive():
                problems.append(f"{name} exited")
        for name in ("worker1", "worker2"):
            if "Unrecoverable error" in self.processes[name].output():
                problems.append(f"{name} logged an unrecoverable error")
        for r in self.results:
            if r.notes:
                print(f"{r.name}: {'; '.join(r.notes)}")
        print(
            f"\nwhole suite: {time.monotonic() - started:.0f} s; "
            f"logs in {self.workdir} (kept on failure)"
        )
        passed = sum(1 for r in self.results if r.ok)
        if problems:
            print("FAILED: " + "; ".join(problems))
        else:
            print("OK: nothing lost, nothing completed twice, nothing stuck")
            self.keep_logs = False
        # The closing line CI reads: the scenarios that held, and every problem found.
        print(f"faults: {passed} passed, {len(problems)} failed")
        return not problems


def main() -> int:
    started = time.monotonic()
    # A SIGTERM (a CI timeout) still stops every process and server the suite started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    suite = Suite()
    ok = False
    try:
        suite.start()
        suite.run()
        ok = suite.report(started)
    except Skip as reason:
        print(f"faults: skipped on {BROKER_NAME}: {reason}")
        return 0
    except Exception:
        import traceback

        traceback.print_exc()
        for name, process in suite.processes.items():
            print(f"--- {name} (last lines)\n{process.output()[-2000:]}")
    finally:
        suite.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
