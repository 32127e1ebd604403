"""The commands the README shows work as printed in a new shell after ``make run``: manage.py
through the virtualenv finds ``make run``'s development settings (``var/development.env``), and
``make manage ARGS="…"`` runs any command with them; the README shows no command that needs a
``python`` with Django on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.testing.servers import REPO_ROOT
from vendhub_integrations.startup import write_development_settings

API_KEY = re.compile(r"^[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$")
# What a new shell has: none of the development variables make run sets for its children.
UNSET = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL")


def new_shell(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env["VENDHUB_VAR_DIR"] = str(var_dir)  # make run's var/, here a throw-away one
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_manage_py_from_the_venv_uses_make_runs_settings(tmp_path: Path) -> None:
    env = new_shell(tmp_path)
    refused = run([sys.executable, "manage.py", "check"], env)
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY is required" in refused.stderr

    write_development_settings(tmp_path)  # what make run leaves behind
    assert run([sys.executable, "manage.py", "migrate", "-v", "0"], env).returncode == 0
    created = run([sys.executable, "manage.py", "create_api_key", "my-script"], env)

    assert created.returncode == 0, created.stderr
    assert API_KEY.match(created.stdout.strip().splitlines()[-1])


def test_an_explicit_setting_wins_over_the_file(tmp_path: Path) -> None:
    write_development_settings(tmp_path)
    env = {**new_shell(tmp_path), "DJANGO_DEBUG": "0"}

    refused = run([sys.executable, "manage.py", "check"], env)

    assert refused.returncode != 0 and "DJANGO_SECRET_KEY is required" in refused.stderr


def test_make_manage_runs_a_command_and_prints_only_its_output(tmp_path: Path) -> None:
    env = new_shell(tmp_path)
    if run(["make", "-q", ".venv/.runtime-installed"], env).returncode != 0:
        pytest.skip("the virtualenv is older than requirements.txt: make would reinstall it")
    assert run(["make", "manage", "ARGS=migrate -v 0"], env).returncode == 0

    created = run(["make", "manage", "ARGS=create_api_key my-script"], env)

    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    assert API_KEY.match(lines[-1]), created.stdout
    assert not any("manage.py" in line for line in lines)  # the recipe is not echoed


def test_the_readme_shows_no_command_that_needs_django_on_path() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", readme, re.S)
    inline = re.findall(r"`([^`\n]*python[^`\n]*manage\.py[^`\n]*)`", readme)
    commands = [line for block in blocks for line in block.splitlines()] + inline
    for command in commands:
        if "manage.py" in command and not command.lstrip().startswith("#"):
            assert re.search(r"(\.venv/bin/python|\$\(PY\)) manage\.py", command) or (
                command.lstrip().startswith("make manage")
            ), command
    assert 'make manage ARGS="create_api_key my-script"' in readme or (
        ".venv/bin/python manage.py create_api_key my-script" in readme
    )
