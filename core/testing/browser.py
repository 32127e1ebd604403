"""Headless Chromium for browser tests: Debian's ``chromium`` package driven by the pinned
``playwright`` package (never ``playwright install``), and an operator logged into the admin.

A test module calls ``skip_without_chromium()`` at import, then opens a page with
``chromium_page()`` inside a test that has a ``live_server``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from core.testing.servers import REPO_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", str(REPO_ROOT / "var" / "screenshots")))


def chromium_executable() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def skip_without_chromium() -> None:
    """Skip the calling test module, saying why, when chromium or playwright is missing."""
    if chromium_executable() is None:
        pytest.skip(
            f"chromium is not installed at {CHROMIUM} (apt-get install -y chromium); "
            "the browser tests need it",
            allow_module_level=True,
        )
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing (requirements-dev.txt)"
    )


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page of a fresh headless Chromium, closed (with the ORM connections Playwright's
    event loop made the test open) when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Inside sync_playwright the ORM works in another context, with a connection of its
            # own: close it, or the test database could not be dropped at the end.
            connections.close_all()


def log_in_to_admin(page: Any, base_url: str, *, username: str, password: str) -> None:
    """Create a superuser and log in through the admin's login form."""
    from django.contrib.auth.models import User

    User.objects.create_superuser(username, f"{username}@example.uz", password)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in ``SCREENSHOTS`` (the CI keeps them as artifacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
