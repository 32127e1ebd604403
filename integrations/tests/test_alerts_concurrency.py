"""Alerts under concurrency: two transactions recording the first event of one group at once
make one alert that counts both; an alert whose sender died is sent by the next one; migrate
installs the sweeps into beat."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from integrations.alerts import alert_record, alerts_send_due
from integrations.alerts.services.sending import _claim
from integrations.models import Alert, AlertStatus, Integration
from integrations.tests.alert_helpers import telegram_channel
from integrations.tests.channel_servers import telegram_server
from integrations.tests.factories import IntegrationFactory


@pytest.mark.django_db(transaction=True)
def test_two_transactions_opening_the_same_alert_make_one_that_counts_both():
    with telegram_server() as telegram:
        telegram_channel(telegram.url)
        acme = IntegrationFactory(code="acme")
        first_recorded = threading.Event()
        errors: list[BaseException] = []

        def record(wait_before_commit: bool) -> None:
            try:
                integration = Integration.objects.get(pk=acme.pk)
                with transaction.atomic():
                    alert_record(event="webhook.failed", integration=integration)
                    if wait_before_commit:
                        first_recorded.set()
                        # Hold the uncommitted alert while the other transaction inserts its own.
                        threading.Event().wait(1.0)
            except BaseException as error:  # reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        holder = threading.Thread(target=record, args=(True,))
        holder.start()
        assert first_recorded.wait(10)
        second = threading.Thread(target=record, args=(False,))
        second.start()
        holder.join(15)
        second.join(15)
        assert not errors, errors
        alert = Alert.objects.get()
        assert (alert.count, alert.status) == (2, AlertStatus.PENDING)
        assert alerts_send_due().sent == 1
        assert "Count: 2" in telegram.texts()[0]


@pytest.mark.django_db
def test_an_alert_whose_sender_died_is_sent_once_its_lease_ran_out():
    with telegram_server() as telegram:
        telegram_channel(telegram.url)
        alert_record(event="beat.down")
        claimed = _claim(None)  # a sender took it, then died
        assert claimed is not None and Alert.objects.get().status == AlertStatus.SENDING
        assert alerts_send_due().sent == 0
        with time_machine.travel(timezone.now() + timedelta(minutes=6)):
            assert alerts_send_due().sent == 1
        assert len(telegram.texts()) == 1


@pytest.mark.django_db
def test_migrate_installs_the_alert_sweep_and_the_backlog_check():
    sweep = PeriodicTask.objects.get(task="integrations.alerts_sweep")
    assert sweep.enabled and sweep.interval.every <= 30
    backlog = PeriodicTask.objects.get(task="webhooks.backlog_check")
    assert backlog.enabled and backlog.interval.every <= 60
