"""The multi-host fault suite (`make cluster`): the hub on several hosts, hosts killed and cut off.

Hosts are network namespaces joined by veth pairs, made by this suite and removed at its end
(also on failure):

    data    10.231.1.1      PostgreSQL and the broker (Redis, then RabbitMQ)
    app1    10.231.1.11 / 10.231.2.11   gunicorn (2 workers), a Celery worker, beat
    app2    10.231.1.12 / 10.231.2.12   the same
    client  10.231.1.100 / 10.231.2.100 the sender of signed webhooks, the forward sink, this
                                        suite's checks

The back network (10.231.1.0/24, a bridge in ``data``) joins the app hosts and the client to the
data host; the front network (10.231.2.0/24, a bridge in ``client``) joins the client to the app
hosts. Cutting an app host off from the data host downs its back link: it still takes requests
and reaches the sink, but not the database or the broker. Each app host also has its own host
name (a UTS namespace), so ``/healthz`` and the beat lease name ``app1`` or ``app2``. Nothing
is routed outside these namespaces.

The client sends a steady stream of signed webhooks to both app hosts in turn, retrying an
unanswered one on the other host as a load balancer would, while each scenario injects one
fault: an app host killed (every process SIGKILLed, restarted 10 s later as a supervisor
would), an app host cut off from the data host for 30 s, the leading beat's host cut off, the
broker restarted. It checks what ``make faults`` checks: sent = completed, none lost, none
completed twice (two rows, or two ``X-Webhook-Id`` for one delivery at the sink), none stuck,
and the recovery time; once per broker. Without root or ``ip`` it says so and exits 0.
"""

from __future__ import annotations

import argparse
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
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.testing.processes import ChildProcess, celery_command, gunicorn_command

# The fault suite's sender, sink, waits and tally.
from faults import run as faults

REPO = faults.REPO
PYTHON = faults.PYTHON
DATA_ADDRESS = "10.231.1.1"
CLIENT_BACK, CLIENT_FRONT = "10.231.1.100", "10.231.2.100"
APP_HOSTS = {"app1": ("10.231.1.11", "10.231.2.11"), "app2": ("10.231.1.12", "10.231.2.12")}
WEB_PORT = 8000
CUT_SECONDS = 30.0
BEAT_TAKEOVER_LIMIT = 60.0


def log(message: str) -> None:
    faults.log(message)


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


# --- the namespaces ------------------------------------------------------------------------------


class Network:
    """The suite's namespaces; ``remove()`` kills what runs in them and deletes them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names = {role: f"{prefix}-{role}" for role in ("data", "app1", "app2", "client")}
        self.made: list[str] = []

    def ns(self, role: str) -> str:
        return self.names[role]

    def make(self) -> None:
        for name in self.names.values():
            ip("netns", "add", name)
            self.made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        data, client = self.ns("data"), self.ns("client")
        ip("-n", data, "link", "add", "br-back", "type", "bridge")
        ip("-n", data, "addr", "add", f"{DATA_ADDRESS}/24", "dev", "br-back")
        ip("-n", data, "link", "set", "br-back", "up")
        ip("-n", client, "link", "add", "br-front", "type", "bridge")
        ip("-n", client, "addr", "add", f"{CLIENT_FRONT}/24", "dev", "br-front")
        ip("-n", client, "link", "set", "br-front", "up")
        backs = {role: addresses[0] for role, addresses in APP_HOSTS.items()}
        backs["client"] = CLIENT_BACK
        for role, address in backs.items():
            # Made inside the namespaces directly: the machine's own interfaces are not touched.
            ip("link", "add", "back0", "netns", self.ns(role), "type", "veth",
               "peer", "name", f"b-{role}", "netns", data)  # fmt: skip
            ip("-n", data, "link", "set", f"b-{role}", "master", "br-back", "up")
            ip("-n", self.ns(role), "addr", "add", f"{address}/24", "dev", "back0")
            ip("-n", self.ns(role), "link", "set", "back0", "up")
        for role, (_, front) in APP_HOSTS.items():
            ip("link", "add", "front0", "netns", self.ns(role), "type", "veth",
               "peer", "name", f"f-{role}", "netns", client)  # fmt: skip
            ip("-n", client, "link", "set", f"f-{role}", "master", "br-front", "up")
            ip("-n", self.ns(role), "addr", "add", f"{front}/24", "dev", "front0")
            ip("-n", self.ns(role), "link", "set", "front0", "up")

    def kill_processes(self) -> None:
        """SIGKILL whatever still runs in the suite's namespaces (only what the suite started
        runs there)."""
        for name in self.made:
            pids = ip("netns", "pids", name, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        self.kill_processes()
        time.sleep(0.5)
        for name in reversed(self.made):
            ip("netns", "del", name, check=False)
        self.made.clear()


def cannot_run() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "making network namespaces needs root"
    for tool in ("ip", "unshare", "setpriv"):
        if shutil.which(tool) is None:
            return f"no `{tool}` command (Debian: iproute2 / util-linux)"
    probe = f"vhprobe{os.getpid()}"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


# --- one broker's run, inside the client namespace --------------------------------------------


class HostSender(faults.Sender):
    """The fault suite's sender over several web hosts: each try goes to the next host, so a
    retry of an unanswered delivery lands on another host, as behind a load balancer."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(urls[0])
        self.urls = urls
        self.turn = 0

    def _post(self, delivery: faults.Delivery) -> None:
        self.turn += 1
        self.url = self.urls[self.turn % len(self.urls)]
        super()._post(delivery)


class Cluster:
    def __init__(self, broker: str, prefix: str, workdir: Path) -> None:
        self.broker = broker
        self.broker_name = {"redis": "Redis", "rabbitmq": "RabbitMQ"}[broker]
        self.prefix = prefix
        self.workdir = workdir
        self.names = {role: f"{prefix}-{role}" for role in ("data", "app1", "app2", "client")}
        self.services = faults.ThrowAwayServices(
            workdir=workdir / "services",
            listen_host=DATA_ADDRESS,
            command_prefix=["ip", "netns", "exec", self.names["data"]],
        )
        self.services.workdir.mkdir(parents=True)
        self.processes: dict[str, ChildProcess] = {}
        self.results: list[faults.Result] = []

    # setup
    def start(self) -> None:
        faults.BROKER = self.broker
        database_url = self.services.start_postgres(port=5432)
        broker_url = faults.start_broker(self.services, 5672 if self.broker == "rabbitmq" else 6379)
        var_dir = self.workdir / "var"
        var_dir.mkdir()
        allowed = ",".join(front for _, front in APP_HOSTS.values())
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": base64.b64encode(os.urandom(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": f"{allowed},127.0.0.1,localhost",
            "DJANGO_SECURE_COOKIES": "0",
            "VENDHUB_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        os.environ.update(self.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "vendhub_integrations.settings"
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=self.env,
            check=True,
        )
        import django

        django.setup()
        self.destination = faults.start_destination(host=CLIENT_FRONT)
        from integrations.tests.factories import IntegrationFactory

        self.integration = IntegrationFactory(
            code="cluster",
            provider="erp",
            webhook_secret=faults.SECRET,
            config={"forward_url": self.destination.url, "retry_attempts": 5, "timeout": 10000},
        )
        for host in APP_HOSTS:
            for kind in ("web", "worker", "beat"):
                name = f"{host}-{kind}"
                self.processes[name] = ChildProcess(
                    name,
                    self._on(host, self._command(host, kind)),
                    env=self.env,
                    log_path=self.workdir / f"{name}.log",
                )
        for process in self.processes.values():
            process.start()
        for host, (_, front) in APP_HOSTS.items():
            url = f"http://{front}:{WEB_PORT}/api/health"
            if not faults.wait_for(lambda url=url: requests_ok(url), 90):  # type: ignore[misc]
                raise RuntimeError(
                    f"{host}'s gunicorn did not answer:\n"
                    + self.processes[f"{host}-web"].output()[-3000:]
                )
            self.processes[f"{host}-worker"].wait_for_output(" ready.", timeout=90)
        urls = [
            f"http://{front}:{WEB_PORT}/api/webhooks/receive/{self.integration.code}"
            for _, front in APP_HOSTS.values()
        ]
        self.sender = HostSender(urls)
        self.sender.thread.start()
        log(f"{self.broker_name}: both app hosts up; {faults.RATE_PER_SECOND:.0f} webhooks/s")

    def _on(self, host: str, command: list[str]) -> list[str]:
        """``command`` on ``host``: its network namespace and a host name of its own."""
        return [
            "ip", "netns", "exec", self.names[host],
            "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', host,
            *command,
        ]  # fmt: skip

    def _command(self, host: str, kind: str) -> list[str]:
        if kind == "web":
            return gunicorn_command(
                "--bind", f"0.0.0.0:{WEB_PORT}", "--workers", "2",
                "--timeout", "30", "--graceful-timeout", "10",
            )  # fmt: skip
        if kind == "worker":
            return celery_command(
                "worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", f"w@{host}",
            )  # fmt: skip
        return celery_command(
            "beat", "--loglevel", "INFO",
            "--schedule", str(self.workdir / f"{host}-beat-schedule"),
            "--pidfile", str(self.workdir / f"{host}-beat.pid"),
        )  # fmt: skip

    def host_processes(self, host: str) -> list[ChildProcess]:
        return [process for name, process in self.processes.items() if name.startswith(host)]

    def leader_host(self) -> str | None:
        from django.db import connection

        from integrations.leadership import current_leader

        try:
            leader = current_leader()
        finally:
            connection.close()
        return leader.host if leader else None

    def cut(self, host: str, down: bool) -> None:
        ip("-n", self.names[host], "link", "set", "back0", "down" if down else "up")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.sender.stop.set()
        for process in self.processes.values():
            process.kill()
        self.services.stop()

    # scenarios
    def scenario(self, name: str, fault: Any, *, after: float = 5.0) -> faults.Result:
        log(f"== {self.broker_name}: {name}")
        self.sender.scenario = name
        time.sleep(2.0)
        fault_at = time.monotonic()
        notes = fault() or []
        time.sleep(after)
        self.sender.scenario = f"after {name}"
        deliveries = self.sender.of(name)
        done = faults.wait_for(
            lambda: faults.all_completed(deliveries), faults.DRAIN_TIMEOUT, interval=0.5
        )
        result = faults.tally(name, deliveries, self.destination)
        result.recovery = time.monotonic() - fault_at if done else None
        result.notes.extend(notes)
        for process_name, process in self.processes.items():
            if not process.alive():
                result.notes.append(f"{process_name} is not running")
        self.results.append(result)
        recovery = f"{result.recovery:.1f} s" if result.recovery is not None else "not recovered"
        log(
            f"   sent {result.sent}, completed {result.completed}, lost {result.lost}, "
            f"twice {result.twice}, stuck {result.stuck}, failed {result.failed}; "
            f"recovery {recovery}" + (f"; {'; '.join(result.notes)}" if result.notes else "")
        )
        return result

    def run(self) -> None:
        self.scenario("steady stream, two hosts", lambda: None)

        def kill_host() -> list[str]:
            self.destination.delay = 1.0  # forwards in flight on the host as it dies
            faults.wait_for(lambda: self.destination.in_flight >= 2, 15, interval=0.05)
            log("   SIGKILL every process of app1")
            for process in self.host_processes("app1"):
                process.kill()
            self.destination.delay = 0.05
            time.sleep(10)
            for process in self.host_processes("app1"):
                process.start()
            return []

        self.scenario("app host killed (SIGKILL all)", kill_host)

        def cut_host() -> list[str]:
            log(f"   app2 cut off from the data host for {CUT_SECONDS:.0f} s")
            self.cut("app2", down=True)
            time.sleep(CUT_SECONDS)
            self.cut("app2", down=False)
            return []

        self.scenario("app host cut off 30 s", cut_host)

        def cut_leader() -> list[str]:
            leader = self.leader_host()
            if leader not in APP_HOSTS:
                return [f"no leading beat found ({leader!r})"]
            other = next(host for host in APP_HOSTS if host != leader)
            log(f"   the leading beat's host {leader} cut off from the data host")
            cut_at = time.monotonic()
            self.cut(leader, down=True)
            took_over = faults.wait_for(
                lambda: self.leader_host() == other, BEAT_TAKEOVER_LIMIT + 30, interval=1.0
            )
            takeover = time.monotonic() - cut_at
            time.sleep(max(0.0, CUT_SECONDS - takeover))
            self.cut(leader, down=False)
            if not took_over:
                self.results_problems.append(f"beat on {other} did not take over")
                return [f"{other}'s beat did not take over"]
            if takeover > BEAT_TAKEOVER_LIMIT:
                self.results_problems.append(f"beat took over after {takeover:.0f} s")
            return [f"beat on {other} led {takeover:.0f} s after the cut"]

        self.results_problems: list[str] = []
        self.scenario("leading beat's host cut off", cut_leader)

        def restart_the_broker() -> list[str]:
            self.destination.delay = 0.5  # a backlog queued in the broker as it restarts
            time.sleep(4)
            log(f"   restarting {self.broker_name}")
            faults.restart_broker(self.services, down_seconds=2.0)
            self.destination.delay = 0.05
            return []

        self.scenario(f"{self.broker_name} restarted", restart_the_broker)

        self.sender.stop.set()
        self.sender.thread.join(timeout=15)
        leftovers = [d for d in self.sender.deliveries if d.scenario.startswith(("after ", "warm"))]
        faults.wait_for(lambda: faults.all_completed(leftovers), faults.DRAIN_TIMEOUT, 0.5)
        between = faults.tally("between scenarios", leftovers, self.destination)
        between.recovery = 0.0
        self.results.append(between)

    def problems(self) -> list[str]:
        problems = [f"{self.broker_name}: {r.name}" for r in self.results if not r.ok]
        problems += [f"{self.broker_name}: {p}" for p in getattr(self, "results_problems", [])]
        if self.sender.no_retry_after:
            problems.append(f"{self.broker_name}: {self.sender.no_retry_after} 503 w/o Retry-After")
        for name, process in self.processes.items():
            if "Unrecoverable error" in process.output():
                problems.append(f"{self.broker_name}: {name} logged an unrecoverable error")
        return problems


def requests_ok(url: str) -> bool:
    import requests

    return requests.get(url, timeout=2).status_code > 0


def inner(broker: str, prefix: str, result_path: Path) -> int:
    """One broker's run; this process runs inside the client namespace."""
    workdir = Path(tempfile.mkdtemp(prefix=f"vendhub-cluster-{broker}-"))
    os.chmod(workdir, 0o755)  # noqa: S103 (PostgreSQL runs as nobody under root)
    cluster = Cluster(broker, prefix, workdir)
    outcome: dict[str, Any] = {"broker": cluster.broker_name, "results": [], "problems": []}
    try:
        cluster.start()
        cluster.run()
        outcome["problems"] = cluster.problems()
    except faults.Skip as reason:
        outcome["skipped"] = str(reason)
    except Exception as error:
        import traceback

        traceback.print_exc()
        outcome["problems"].append(f"{cluster.broker_name}: {type(error).__name__}: {error}")
        for name, process in cluster.processes.items():
            print(f"--- {name} (last lines)\n{process.output()[-1500:]}")
    finally:
        cluster.stop()
    outcome["results"] = [
        {**asdict(r), "answers": dict(r.answers), "ok": r.ok} for r in cluster.results
    ]
    outcome["logs"] = str(workdir)
    result_path.write_text(json.dumps(outcome))
    if not outcome["problems"]:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


# --- the outer process: namespaces, one run per broker, the table ------------------------------


def report(outcomes: list[dict[str, Any]], started: float) -> bool:
    header = (
        f"{'broker':<9} {'scenario':<32} {'sent':>5} {'completed':>9} {'lost':>5} {'twice':>5} "
        f"{'stuck':>5} {'failed':>6} {'refused':>7} {'repeats':>7} {'recovery':>9}"
    )
    print("\n" + header)
    print("-" * len(header))
    problems: list[str] = []
    notes: list[str] = []
    for outcome in outcomes:
        if outcome.get("skipped"):
            print(f"{outcome['broker']:<9} skipped: {outcome['skipped']}")
            continue
        for r in outcome["results"]:
            recovery = f"{r['recovery']:.1f} s" if r["recovery"] is not None else "-"
            print(
                f"{outcome['broker']:<9} {r['name']:<32} {r['sent']:>5} {r['completed']:>9} "
                f"{r['lost']:>5} {r['twice']:>5} {r['stuck']:>5} {r['failed']:>6} "
                f"{r['refused']:>7} {r['repeats']:>7} {recovery:>9}"
                + ("" if r["ok"] else "   <-- FAIL")
            )
            if r["notes"]:
                notes.append(f"{outcome['broker']}, {r['name']}: {'; '.join(r['notes'])}")
        problems += outcome["problems"]
        if outcome["problems"]:
            notes.append(f"{outcome['broker']}: logs kept in {outcome['logs']}")
    for note in notes:
        print(note)
    print(f"\nwhole suite: {time.monotonic() - started:.0f} s")
    if problems:
        print("FAILED: " + "; ".join(problems))
    else:
        print("OK: nothing lost, nothing completed twice, nothing stuck, on every host fault")
    ran = sum(len(o["results"]) for o in outcomes)
    print(f"cluster: {ran} scenarios, {len(problems)} failed")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", choices=["redis", "rabbitmq"])
    parser.add_argument("--prefix")
    parser.add_argument("--result")
    arguments = parser.parse_args()
    if arguments.inner:
        return inner(arguments.inner, arguments.prefix, Path(arguments.result))

    reason = cannot_run()
    if reason:
        print(f"cluster: skipped, no result: {reason}")
        return 0
    started = time.monotonic()
    brokers = [
        b.strip() for b in os.environ.get("CLUSTER_BROKERS", "redis,rabbitmq").split(",") if b
    ]
    network = Network(f"vh{uuid.uuid4().hex[:5]}")
    outcomes: list[dict[str, Any]] = []
    # Removed however the run ends: an exception, Ctrl-C or SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        network.make()
        log(f"namespaces {', '.join(network.names.values())} made")
        for broker in brokers:
            result_path = Path(tempfile.mkstemp(prefix="vendhub-cluster-", suffix=".json")[1])
            try:
                subprocess.run(
                    [
                        "ip",
                        "netns",
                        "exec",
                        network.ns("client"),
                        PYTHON,
                        str(Path(__file__).resolve()),
                        "--inner",
                        broker,
                        "--prefix",
                        network.prefix,
                        "--result",
                        str(result_path),
                    ],
                    cwd=REPO,
                    check=False,
                    timeout=900,
                )
                text = result_path.read_text()
                outcomes.append(
                    json.loads(text)
                    if text
                    else {"broker": broker, "results": [], "problems": [f"{broker}: no result"]}
                )
            finally:
                result_path.unlink(missing_ok=True)
                network.kill_processes()  # anything the run left behind
    finally:
        network.remove()
        log("namespaces removed")
    return 0 if report(outcomes, started) else 1


if __name__ == "__main__":
    sys.exit(main())
