"""Local and production mode: what decides the mode, and what follows from it where the server
is wired (webhook targets; which requests to ``/`` are a browser's landing page)."""

from __future__ import annotations

from typing import Literal

import pytest

from chatpins.delivery.targets import TargetPolicy
from chatpins.dispatch import is_landing
from chatpins.settings import Settings

SQLITE = "sqlite+aiosqlite:///./x.db"
POSTGRES = "postgresql+asyncpg://u:p@db/x"


@pytest.mark.parametrize(
    ("database_url", "mode", "local"),
    [
        (SQLITE, None, True),
        (POSTGRES, None, False),
        (SQLITE, "production", False),
        (POSTGRES, "local", True),
    ],
)
def test_the_mode_follows_the_database_unless_given(
    database_url: str, mode: Literal["local", "production"] | None, local: bool
) -> None:
    settings = Settings(database_url=database_url, mode=mode)
    assert settings.is_local is local
    # Webhooks reach loopback receivers in local mode only (unless set otherwise).
    assert TargetPolicy.from_settings(settings).allow_loopback is local


def test_the_mode_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATPINS_MODE", "production")
    assert Settings(database_url=SQLITE).is_local is False


@pytest.mark.parametrize(
    ("method", "query", "landing"),
    [
        ("GET", b"", True),
        ("HEAD", b"", True),
        ("GET", b"utm=x", True),
        ("POST", b"", False),
        ("PUT", b"", False),
        ("GET", b"Action=UserRegister&AppId=1", False),
        ("GET", b"Action=", False),
        ("HEAD", b"AppId=1&Action=X", False),
        ("GET", b"%41ction=X", False),  # percent-encoded, as ZIM's gateway decodes it
        ("get", b"", False),  # methods are case-sensitive; ZIM answers any other
    ],
)
def test_only_a_get_or_head_without_action_is_the_landing_page(
    method: str, query: bytes, landing: bool
) -> None:
    scope = {"type": "http", "method": method, "path": "/", "query_string": query}
    assert is_landing(scope) is landing
