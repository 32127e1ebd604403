"""Admin login guessing is locked out (django-axes): after ``ADMIN_LOGIN_FAILURE_LIMIT``
failures for one username from one address, even the right password is refused with 429 until
the cool-off ends; a success before that resets the count."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(
        username="operator", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_limit_locks_out_even_the_right_password(operator):
    assert settings.AXES_FAILURE_LIMIT == 5
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(guesser, "operator", "guess").status_code == 200  # the form again
    locked = log_in(guesser, "operator", "guess")
    assert locked.status_code == 429
    right = log_in(guesser, "operator", PASSWORD)
    assert right.status_code == 429
    assert not logged_in(guesser)

    # The lockout is for that username from that address: another account is not blocked.
    other = Client()
    assert log_in(other, "someone-else", "x").status_code == 200

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        later = Client()
        assert log_in(later, "operator", PASSWORD).status_code == 302
        assert logged_in(later)


def test_a_success_resets_the_count(operator):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "operator", "guess")
    assert log_in(client, "operator", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "operator", "guess").status_code == 200
    assert log_in(client, "operator", PASSWORD).status_code == 302


def test_the_limit_is_configurable(operator, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    assert log_in(client, "operator", "guess").status_code == 200
    assert log_in(client, "operator", "guess").status_code == 429


def test_the_lockout_page_is_the_admins_and_says_when_to_try_again(operator):
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(guesser, "operator", "guess")
    now = timezone.localtime()

    locked = log_in(guesser, "operator", "guess")

    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("text/html")
    page = locked.content.decode()
    assert 'id="header"' in page and "VendHub integration hub" in page  # the admin's look
    assert "admin/css/base.css" in page
    assert "Too many failed logins" in page
    assert "15 minutes" in page
    until = (now + settings.AXES_COOLOFF_TIME).strftime("%H:%M")
    later = (now + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)).strftime("%H:%M")
    assert until in page or later in page, page
    assert PASSWORD not in page and "guess" not in page


def test_an_ajax_lockout_still_answers_json(operator):
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(guesser, "operator", "guess")

    locked = guesser.post(
        LOGIN,
        {"username": "operator", "password": "guess"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert locked.status_code == 429
    assert locked.json()["failure_limit"] == settings.AXES_FAILURE_LIMIT
