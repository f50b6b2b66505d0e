"""What every ``chatpins`` command shares: the ``--database-url`` and ``--json`` options, running
one use case against the database, and printing its result.

The server's modules (FastAPI, SQLAlchemy, Alembic, pydantic-settings) take seconds to import, so
the command-line modules import them inside the commands that use them: ``--help``,
``--version`` and ``events tail`` start at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from chatpins.core.errors import ChatpinsError

if TYPE_CHECKING:
    from chatpins.core.context import Deps
    from chatpins.settings import Settings

T = TypeVar("T")

AppOption = Annotated[
    str, typer.Option("--app", help="App id (app_…) or the app's Feishu app id (cli_…).")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the database; works beside a running server.",
        show_default="$CHATPINS_DATABASE_URL, else SQLite ./chatpins.db",
    ),
]
JsonFlag = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document on stdout instead of text lines."),
]


def settings_for(database_url: str | None, **overrides: Any) -> Settings:
    """Settings from ``CHATPINS_*`` variables, with the options given on the command line."""
    from chatpins.settings import Settings

    given = {k: v for k, v in overrides.items() if v is not None}
    if database_url:
        given["database_url"] = database_url
    return Settings(**given)


def run(settings: Settings, use_case: Callable[[Deps], Awaitable[T]]) -> T:
    """Run one use case against the database, after making sure its schema is current."""
    from chatpins.app import build_deps
    from chatpins.storage.database import Database

    require_schema(settings)

    async def go() -> T:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            return await use_case(build_deps(db, app_clocks=settings.test_controls_enabled))
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except ChatpinsError as exc:
        typer.echo(f"error: {exc.reason}{': ' + exc.detail if exc.detail else ''}", err=True)
        raise typer.Exit(1) from exc


def require_schema(settings: Settings) -> None:
    from chatpins.storage import migrate

    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)  # the embedded default keeps itself current
    elif not migrate.is_up_to_date(settings.database_url):
        typer.echo(
            "error: the database schema is out of date; run `chatpins db upgrade "
            "--database-url ...` first",
            err=True,
        )
        raise typer.Exit(2)


def show(data: dict[str, Any], as_json: bool) -> None:
    """One JSON document, or one ``key: value`` line per field."""
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")


def show_rows(
    key: str, rows: list[dict[str, Any]], line: Callable[[dict[str, Any]], str], as_json: bool
) -> None:
    """A list: ``{key: rows}`` as one JSON document, or one text line per row."""
    if as_json:
        typer.echo(json.dumps({key: rows}, indent=2))
        return
    for row in rows:
        typer.echo(line(row))
    if not rows:
        typer.echo(f"no {key}", err=True)
