"""The command line, run as a user would: a subprocess per command, JSON read back.

``in_process`` runs a command of the same app object ``python -m chatpins`` runs, in the test's
own process: for the tests that run dozens of commands, where a subprocess each would spend most
of its time importing the server's modules again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.databases import fresh_database

POSTGRES_URL = os.environ.get("CHATPINS_TEST_POSTGRES_URL")


def chatpins(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI without the test run's ``CHATPINS_*`` variables (``env``: its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPINS_")} | (env or {})
    result = subprocess.run(
        [sys.executable, "-m", "chatpins", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def in_process(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``chatpins(...)`` without the subprocess: the command line's app object, invoked with
    the test run's ``CHATPINS_*`` variables unset for the call (``env``: its own), its stdout
    and stderr apart. Each command disposes of its database engine before it returns."""
    from chatpins.cli import cli  # what `python -m chatpins` runs; imported only when used

    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CHATPINS_")}
    # Click wraps help 2 columns short of the terminal's width, and a subprocess's stdout is a
    # pipe, 80 columns: 78, as a user's pipe shows it.
    result = CliRunner().invoke(
        cli, list(args), env=unset | (env or {}), prog_name="chatpins", terminal_width=78
    )
    if check:
        assert result.exit_code == 0, f"{result.stderr}{result.exception!r}"
    return subprocess.CompletedProcess(
        ["chatpins", *args], result.exit_code, result.stdout, result.stderr
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("CHATPINS_TEST_POSTGRES_URL not set")
    with fresh_database(POSTGRES_URL, "chatpins_cli") as url:
        yield url


def _provision(url: str) -> None:
    app = json.loads(
        chatpins("apps", "create", "--name", "shop", "--database-url", url, "--json").stdout
    )
    assert app["name"] == "shop"
    assert re.fullmatch(r"app_[0-9a-f]{16}", app["id"])
    assert re.fullmatch(r"cli_[0-9a-f]{16}", app["feishu"]["app_id"])
    assert re.fullmatch(r"[A-Za-z0-9]{32}", app["feishu"]["app_secret"])

    user = json.loads(
        chatpins(
            "users",
            "create",
            "--app",
            app["id"],
            "--id",
            "alice",
            "--name",
            "Alice",
            "--database-url",
            url,
            "--json",
        ).stdout
    )
    assert user["id"] == "alice" and user["is_bot"] is False
    assert re.fullmatch(r"ou_[0-9a-f]{32}", user["feishu"]["open_id"])
    assert re.fullmatch(r"on_[0-9a-f]{32}", user["feishu"]["union_id"])
    assert user["feishu"]["user_id"] == "alice"

    bot = json.loads(
        chatpins(
            "users",
            "create",
            "--app",
            app["feishu"]["app_id"],
            "--id",
            "helper",
            "--bot",
            "--database-url",
            url,
            "--json",
        ).stdout
    )
    assert bot["is_bot"] is True

    token = json.loads(
        chatpins(
            "tokens",
            "issue",
            "--app",
            app["id"],
            "--user",
            "alice",
            "--dialect",
            "feishu",
            "--database-url",
            url,
            "--json",
        ).stdout
    )
    assert token["token"].startswith("u-")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", token["expires_at"])

    duplicate = chatpins(
        "users", "create", "--app", app["id"], "--id", "alice", "--database-url", url, check=False
    )
    assert duplicate.returncode == 1 and "user_exists" in duplicate.stderr


def test_provisioning_commands_on_sqlite(sqlite_url: str) -> None:
    _provision(sqlite_url)


def test_serve_refuses_an_out_of_date_postgres_schema(fresh_postgres_url: str) -> None:
    refused = chatpins("serve", "--port", "1", "--database-url", fresh_postgres_url, check=False)
    assert refused.returncode == 2
    assert "chatpins db upgrade" in refused.stderr
    chatpins("db", "upgrade", "--database-url", fresh_postgres_url)
    _provision(fresh_postgres_url)


def test_unknown_app_is_a_clear_error(sqlite_url: str) -> None:
    result = chatpins(
        "users",
        "create",
        "--app",
        "app_nope",
        "--id",
        "x",
        "--database-url",
        sqlite_url,
        check=False,
    )
    assert result.returncode == 1
    assert "app_not_found" in result.stderr
