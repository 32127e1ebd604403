"""Two (or eight) identical deliveries at the same moment make one row: the database decides."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook
from webhooks.tests.helpers import SECRET, post_signed


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_deliveries_make_one_row(worker_broker_url):
    integration = IntegrationFactory(provider="erp", webhook_secret=SECRET)
    senders = 8
    barrier = threading.Barrier(senders)
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            response = post_signed(Client(), integration.code, {"id": "evt_race", "type": "x"})
            answers.append((response.status_code, response.json()))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Webhook.objects.filter(external_id="evt_race").count() == 1
    codes = sorted(code for code, _ in answers)
    assert codes == [200] * (senders - 1) + [202]
    original = Webhook.objects.get(external_id="evt_race")
    assert {body["id"] for _, body in answers} == {str(original.id)}
    assert all(body.get("duplicate") for code, body in answers if code == 200)
