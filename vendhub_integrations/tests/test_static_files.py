"""In production (DEBUG off, after collectstatic) the app serves its own static files through
WhiteNoise: the admin is styled and Swagger UI loads, with nothing fetched from a CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.DEBUG = False
    with override_settings(WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield Client()  # a new client builds its middleware, so WhiteNoise scans tmp_path


def test_admin_stylesheet_is_served(collected: Client) -> None:
    response = collected.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert "text/css" in response["Content-Type"]


def test_swagger_ui_assets_are_local_and_served(collected: Client, admin_user) -> None:
    collected.force_login(admin_user)
    page = collected.get("/api/docs/").content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    assert all(asset.startswith("/static/") for asset in assets), assets
    for asset in assets:
        assert collected.get(asset).status_code == 200, asset
