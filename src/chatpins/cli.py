"""The ``chatpins`` command line. Every command that reads or writes the database takes
``--database-url`` (so it works beside a running server); every command but ``serve`` (a banner,
then the server's log) and ``events tail`` (JSON lines already) takes ``--json``."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shlex
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatpins import __version__
from chatpins.cli_apps import apps_cli, credential_lines
from chatpins.cli_common import AppOption, DatabaseUrl, JsonFlag, run, settings_for, show
from chatpins.cli_events import events_cli
from chatpins.cli_state import load_before_serving, state_cli
from chatpins.cli_webhooks import webhooks_cli
from chatpins.core.services import admin, apps, tokens, users

if TYPE_CHECKING:
    from chatpins.core.context import Deps
    from chatpins.core.entities import App
    from chatpins.settings import Settings

cli = typer.Typer(help="chatpins: a self-hosted pinning backend for chat.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
users_cli = typer.Typer(help="Users of an app.", no_args_is_help=True)
tokens_cli = typer.Typer(help="User access tokens.", no_args_is_help=True)
admin_cli = typer.Typer(help="The admin key of the native API.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(apps_cli, name="apps")
cli.add_typer(users_cli, name="users")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(admin_cli, name="admin-key")
cli.add_typer(webhooks_cli, name="webhooks")
cli.add_typer(events_cli, name="events")
cli.add_typer(state_cli)  # `load` and `dump`, top-level commands


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"chatpins {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """chatpins: a self-hosted pinning backend for chat."""


@db_cli.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Apply every pending schema migration."""
    from chatpins.storage import migrate

    settings = settings_for(database_url)
    previous = asyncio.run(migrate.current_revision(settings.database_url))
    migrate.upgrade(settings.database_url)
    revision = migrate.head_revision()
    if as_json:
        show({"revision": revision, "previous": previous}, as_json=True)
    else:
        typer.echo(f"schema at {revision}")


@apps_cli.command("create")
def apps_create(
    name: Annotated[str, typer.Option("--name", help="The app's name.")],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an app and print its credentials (the secrets are shown only now)."""
    from chatpins.api.provisioning import render_app

    new = run(settings_for(database_url), lambda deps: apps.create_app(deps, name))
    show(render_app(new.app, new), as_json)


@users_cli.command("create")
def users_create(
    app: AppOption,
    user_id: Annotated[str, typer.Option("--id", help="The user's id, chosen by you.")],
    name: Annotated[
        str, typer.Option("--name", help="The user's display name.", show_default="none")
    ] = "",
    bot: Annotated[bool, typer.Option("--bot", help="The user is a bot.")] = False,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a user of an app."""
    from chatpins.api.provisioning import render_user

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await users.create_user(deps, found.id, user_id, name, is_bot=bot)

    show(render_user(run(settings_for(database_url), use_case)), as_json)


@tokens_cli.command("issue")
def tokens_issue(
    app: AppOption,
    user: Annotated[str, typer.Option("--user", help="The user's id.")],
    dialect: Annotated[
        str,
        typer.Option("--dialect", help="Whose token: a dialect that issues user tokens."),
    ] = "feishu",
    ttl: Annotated[
        int | None,
        typer.Option(
            "--ttl",
            help=f"Lifetime in seconds (at most {tokens.MAX_USER_TOKEN_TTL_S}).",
            show_default="feishu 7200, imkit 604800 (7 days)",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a user access token (Feishu: a u-… user_access_token; IMKit: an opaque token)."""
    import chatpins.app  # noqa: F401  (loads the dialects, which declare their token forms)
    from chatpins.api.provisioning import iso

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await tokens.issue_user_token(deps, found.id, user, dialect, ttl)

    issued = run(settings_for(database_url), use_case)
    show({"token": issued.value, "expires_at": iso(issued.expires_at)}, as_json)


@cli.command()
def reset(app: AppOption, database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Empty an app: every user, token, chat, message, pin, event and webhook goes, in one
    transaction; the app keeps its credentials, settings, bot and the bot's tokens. A test
    control: refused where they are off (production mode, unless CHATPINS_TEST_CONTROLS=true).

    A running server keeps its fault rules and rate-limit windows for the app in its memory:
    `POST /v1/apps/{id}/reset` clears those too."""
    from chatpins.core.services import app_reset

    settings = settings_for(database_url)
    if not settings.test_controls_enabled:
        typer.echo(
            "error: test_controls_disabled: test controls are off (production mode); "
            "CHATPINS_TEST_CONTROLS=true turns them on",
            err=True,
        )
        raise typer.Exit(1)

    async def use_case(deps: Deps) -> app_reset.ResetOutcome:
        found = await apps.get_app(deps, app)
        return await app_reset.reset_app(deps, found.id)

    outcome = run(settings, use_case)
    show({"app_id": outcome.app_id, "removed": outcome.removed}, as_json)


@admin_cli.command("rotate")
def admin_key_rotate(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Replace the stored admin key of the native API and print the new one; a running server
    takes it at its next request (CHATPINS_ADMIN_KEY, when set, wins over the stored key)."""
    key = run(settings_for(database_url), admin.rotate_admin_key)
    if as_json:
        show({"admin_key": key}, as_json=True)
    else:
        typer.echo(key)


class Mode(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


@cli.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on.", show_default="$CHATPINS_HOST, else 127.0.0.1"
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port to listen on.", show_default="$CHATPINS_PORT, else 8080"),
    ] = None,
    database_url: DatabaseUrl = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis-url",
            help="Redis relaying event notices between several instances on one database.",
            show_default="$CHATPINS_REDIS_URL, else none: one instance",
        ),
    ] = None,
    mode: Annotated[
        Mode | None,
        typer.Option(
            "--mode",
            help="local: a developer's stand-in (a demo app with the README's fixed credentials, "
            "loopback webhooks, demo credentials on the landing page). production: no demo "
            "app, no secret ever printed, an admin key required (CHATPINS_ADMIN_KEY or one "
            "made by `chatpins admin-key rotate`).",
            show_default="$CHATPINS_MODE, else local on SQLite and production on any other",
        ),
    ] = None,
    load: Annotated[
        Path | None,
        typer.Option(
            "--load",
            help="A declared-state file (YAML or JSON) to load first, as `chatpins load` does; "
            "a bad file stops the server from starting. On an empty database it replaces the "
            "demo app.",
            dir_okay=False,
            show_default="none",
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            help="console: for a person (uvicorn's access line per request). json: one JSON "
            "object per line, one line per request with its id, app, dialect, route, status "
            "and time (docs/operations.md).",
            show_default="$CHATPINS_LOG_FORMAT, else json in production mode, console in local",
        ),
    ] = None,
) -> None:
    """Run the server. On the embedded SQLite default, pending migrations are applied first.

    It prints a banner (address, mode, admin key; in local mode the demo app's credentials),
    then its log: there is no --json.
    """
    import uvicorn

    from chatpins.app import build_app
    from chatpins.logs import configure_logging, log_format_of

    settings = settings_for(
        database_url,
        host=host,
        port=port,
        redis_url=redis_url,
        mode=mode.value if mode is not None else None,
        log_format=log_format.value if log_format is not None else None,
    )
    configure_logging(settings.log_level, fmt=log_format_of(settings), secrets=[settings.admin_key])
    if not settings.is_local:  # before anything is written, loaded files included
        run(settings, lambda deps: _require_admin_key(settings, deps))
    if load is not None:
        load_before_serving(settings, load)
    demo, new_key = run(settings, lambda deps: _prepare(settings, deps))
    _announce(settings, demo, new_key)
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # configure_logging set the handlers and their redacting filters; uvicorn's own
        # config would replace them.
        log_config=None,
        # Off when its lines would print nowhere: uvicorn still builds each line's arguments.
        access_log=logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO),
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        # h11 writes header names with the case we give them; lark-oapi needs "X-Tt-Logid".
        http="h11",
        # Per-message deflate keeps a compressor per connection (~100+ KiB each); event frames
        # are small, and 1,000 idle streams should cost little memory.
        ws_per_message_deflate=False,
        # The sans-I/O protocol keeps no tasks of its own per connection (pings are timers).
        ws="websockets-sansio",
    )


NO_ADMIN_KEY = (
    "error: production mode needs an admin key and prints none: set CHATPINS_ADMIN_KEY, or run "
    "`chatpins admin-key rotate --database-url ...` once (it prints the key to your terminal; "
    "the server keeps only its hash)"
)


async def _require_admin_key(settings: Settings, deps: Deps) -> None:
    """Production refuses to start without an admin key, since printing a new one would put
    it in the server's log."""
    if not settings.admin_key and not await admin.has_admin_key(deps):
        typer.echo(NO_ADMIN_KEY, err=True)
        raise typer.Exit(2)


async def _prepare(settings: Settings, deps: Deps) -> tuple[App | None, str | None]:
    """Local mode: the admin key made (and returned, to print once) if there is none, and the
    demo app made on an empty database. Production: neither (see ``_require_admin_key``)."""
    from chatpins.core.services import demo_app

    if not settings.is_local:
        return None, None
    new_key = None if settings.admin_key else await admin.ensure_admin_key(deps)
    await demo_app.ensure_local_demo_app(deps)
    return await demo_app.find_demo_app(deps), new_key


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _announce(settings: Settings, demo: App | None, new_key: str | None) -> None:
    from sqlalchemy.engine import make_url

    from chatpins.core.services.demo_app import documented_secrets

    base = f"http://{settings.host}:{settings.port}"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    mode = "local" if settings.is_local else "production"
    lines = [f"chatpins on {base}  (mode: {mode}; database: {database})"]
    if settings.admin_key:
        lines.append("admin key: from CHATPINS_ADMIN_KEY")
    elif new_key:
        lines.append(f"admin key (shown once): {new_key}")
    else:
        lines.append("admin key: set earlier (`chatpins admin-key rotate` prints a new one)")
    if not settings.is_local:
        print("\n".join(lines), flush=True)
        return
    if not _is_loopback(settings.host):
        lines.append(
            f"warning: local mode on {settings.host}: the demo app's credentials are public "
            "(README); use --mode production on a shared network"
        )
    if demo is None:
        lines += ["", "no demo app: it is made only on an empty database (`chatpins apps list`)"]
        print("\n".join(lines), flush=True)
        return
    known = documented_secrets(demo)
    lines += ["", f"demo app {demo.id} (fixed credentials, listed in the README):"]
    lines += credential_lines(demo, known, hidden=f"rotated (`chatpins apps show {demo.id}`)")
    if known is not None and known.feishu_app_secret is not None:
        body = json.dumps({"app_id": demo.feishu_app_id, "app_secret": known.feishu_app_secret})
        lines += [
            "",
            "get a tenant_access_token:",
            f"  curl -s -X POST {base}/open-apis/auth/v3/tenant_access_token/internal "
            f"-H 'Content-Type: application/json' -d {shlex.quote(body)}",
        ]
    if known is not None and known.native_api_key is not None:
        lines += [
            "list a chat's pins through the native API:",
            f"  curl -s {base}/v1/chats/CHAT_ID/pins "
            f"-H 'Authorization: Bearer {known.native_api_key}'",
        ]
    print("\n".join(lines), flush=True)


def main() -> None:
    cli(prog_name="chatpins")


if __name__ == "__main__":
    main()
