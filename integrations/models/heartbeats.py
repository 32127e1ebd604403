"""Proof that the background processes run: the workers' and beat's heartbeats, and the lease of
the beat process that leads."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """When each Celery worker last ran a task sent to it: proof that the queue carries work."""

    hostname = models.CharField(max_length=255, primary_key=True)
    last_seen_at = models.DateTimeField()
    tasks_seen = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "worker_heartbeats"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class BeatHeartbeat(models.Model):
    """When the beat scheduler last ticked: written from inside the beat process itself (see
    ``integrations.heartbeats``), so a stopped beat shows even while workers still run."""

    name = models.CharField(max_length=64, primary_key=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "beat_heartbeats"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class BeatLeader(models.Model):
    """Which beat process leads (sends periodic tasks): a lease renewed every few seconds by the
    leader and taken over by another beat once it expired (see ``integrations.leadership``).
    ``expires_at`` is set from the database's clock, so hosts' clocks need not agree."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=255)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "beat_leader"

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
