"""The ``chatpins`` command line. Every command takes ``--database-url`` (so it works beside a
running server) and the provisioning commands take ``--json``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from chatpins.api.provisioning import iso, render_app, render_user
from chatpins.api.webhooks import render_delivery, render_webhook
from chatpins.app import build_app, build_deps
from chatpins.core.context import Deps
from chatpins.core.entities import DeliveryStatus, WebhookStatus
from chatpins.core.errors import ChatpinsError
from chatpins.core.services import admin, apps, tokens, users, webhooks
from chatpins.delivery.targets import TargetPolicy, guarded_client
from chatpins.delivery.webhooks import known_types, verify_feishu_url
from chatpins.settings import Settings
from chatpins.storage import migrate
from chatpins.storage.database import Database

T = TypeVar("T")

cli = typer.Typer(help="chatpins: a self-hosted pinning backend for chat.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
apps_cli = typer.Typer(help="Apps (tenants).", no_args_is_help=True)
users_cli = typer.Typer(help="Users of an app.", no_args_is_help=True)
tokens_cli = typer.Typer(help="User access tokens.", no_args_is_help=True)
admin_cli = typer.Typer(help="The admin key of the native API.", no_args_is_help=True)
webhooks_cli = typer.Typer(help="Webhooks of an app.", no_args_is_help=True)
events_cli = typer.Typer(help="The event stream.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(apps_cli, name="apps")
cli.add_typer(users_cli, name="users")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(admin_cli, name="admin-key")
cli.add_typer(webhooks_cli, name="webhooks")
cli.add_typer(events_cli, name="events")
AppOption = Annotated[str, typer.Option("--app", help="App id (app_…) or Feishu app id (cli_…).")]

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="SQLAlchemy URL; default $CHATPINS_DATABASE_URL or ./chatpins.db"
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _settings(database_url: str | None, **overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    if database_url:
        given["database_url"] = database_url
    return Settings(**given)


def _run(settings: Settings, use_case: Callable[[Deps], Awaitable[T]]) -> T:
    """Run one use case against the database, after making sure its schema is current."""
    _require_schema(settings)

    async def go() -> T:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            return await use_case(build_deps(db))
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except ChatpinsError as exc:
        typer.echo(f"error: {exc.reason}{': ' + exc.detail if exc.detail else ''}", err=True)
        raise typer.Exit(1) from exc


def _require_schema(settings: Settings) -> None:
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)  # the embedded default keeps itself current
    elif not migrate.is_up_to_date(settings.database_url):
        typer.echo(
            "error: the database schema is out of date; run `chatpins db upgrade "
            "--database-url ...` first",
            err=True,
        )
        raise typer.Exit(2)


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        typer.echo(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")


@db_cli.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending schema migration."""
    settings = _settings(database_url)
    migrate.upgrade(settings.database_url)
    typer.echo(f"schema at {migrate.head_revision()}")


@apps_cli.command("create")
def apps_create(
    name: Annotated[str, typer.Option("--name", help="App name.")],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an app and print its credentials (the secret is shown only now)."""
    new = _run(_settings(database_url), lambda deps: apps.create_app(deps, name))
    _print(render_app(new.app, new), as_json)


@users_cli.command("create")
def users_create(
    app: Annotated[str, typer.Option("--app", help="App id (app_…) or Feishu app id (cli_…).")],
    user_id: Annotated[str, typer.Option("--id", help="The user's id, chosen by you.")],
    name: Annotated[str, typer.Option("--name")] = "",
    bot: Annotated[bool, typer.Option("--bot", help="The user is a bot.")] = False,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a user of an app."""

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await users.create_user(deps, found.id, user_id, name, is_bot=bot)

    _print(render_user(_run(_settings(database_url), use_case)), as_json)


@tokens_cli.command("issue")
def tokens_issue(
    app: Annotated[str, typer.Option("--app", help="App id (app_…) or Feishu app id (cli_…).")],
    user: Annotated[str, typer.Option("--user", help="The user's id.")],
    dialect: Annotated[str, typer.Option("--dialect")] = "feishu",
    ttl: Annotated[int | None, typer.Option("--ttl", help="Lifetime in seconds.")] = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a user access token (Feishu: a ``u-`` user_access_token; IMKit: an opaque token)."""

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await tokens.issue_user_token(deps, found.id, user, dialect, ttl)

    issued = _run(_settings(database_url), use_case)
    _print({"token": issued.value, "expires_at": iso(issued.expires_at)}, as_json)


@admin_cli.command("rotate")
def admin_key_rotate(database_url: DatabaseUrl = None) -> None:
    """Replace the admin key of the native API and print the new one."""
    typer.echo(_run(_settings(database_url), admin.rotate_admin_key))


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    database_url: DatabaseUrl = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="relay event notices between instances")
    ] = None,
) -> None:
    """Run the server. On the embedded SQLite default, pending migrations are applied first."""
    import uvicorn

    from chatpins.logs import configure_logging

    settings = _settings(database_url, host=host, port=port, redis_url=redis_url)
    configure_logging(settings.log_level, secrets=[settings.admin_key])

    async def prepare(deps: Deps) -> tuple[apps.NewApp | None, str | None]:
        new_key = None if settings.admin_key else await admin.ensure_admin_key(deps)
        return await apps.ensure_demo_app(deps), new_key

    demo, new_key = _run(settings, prepare)
    _announce(settings, demo, new_key)
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # configure_logging set the handlers and their redacting filters; uvicorn's own
        # config would replace them.
        log_config=None,
        timeout_keep_alive=settings.keep_alive_seconds,
        # h11 writes header names with the case we give them; lark-oapi needs "X-Tt-Logid".
        http="h11",
        # Per-message deflate keeps a compressor per connection (~100+ KiB each); event frames
        # are small, and 1,000 idle streams should cost little memory.
        ws_per_message_deflate=False,
        # The sans-I/O protocol keeps no tasks of its own per connection (pings are timers).
        ws="websockets-sansio",
    )


def _announce(settings: Settings, demo: apps.NewApp | None, new_key: str | None) -> None:
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"chatpins on {base}  (database: {settings.database_url})"]
    if settings.admin_key:
        lines.append("admin key: from CHATPINS_ADMIN_KEY")
    elif new_key:
        lines.append(f"admin key (shown once): {new_key}")
    else:
        lines.append("admin key: set earlier (`chatpins admin-key rotate` prints a new one)")
    if demo is not None:
        body = json.dumps({"app_id": demo.app.feishu_app_id, "app_secret": demo.feishu_app_secret})
        lines += [
            "",
            f"demo app {demo.app.id} created",
            f"  feishu app_id:     {demo.app.feishu_app_id}",
            f"  feishu app_secret: {demo.feishu_app_secret}",
            f"  imkit client key:  {demo.app.imkit_client_key}",
            f"  imkit api key:     {demo.imkit_api_key}",
            f"  zim AppId:         {demo.app.zim_app_id}",
            f"  zim ServerSecret:  {demo.app.zim_server_secret}",
            "",
            "get a tenant_access_token:",
            f"  curl -s -X POST {base}/open-apis/auth/v3/tenant_access_token/internal "
            f"-H 'Content-Type: application/json' -d {shlex.quote(body)}",
        ]
    print("\n".join(lines), flush=True)


@webhooks_cli.command("add")
def webhooks_add(
    app: AppOption,
    url: Annotated[str, typer.Option("--url", help="Where to POST the events.")],
    event_types: Annotated[
        list[str] | None, typer.Option("--event-type", help="Repeat; `pin.*` for a family.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="native or feishu")] = "native",
    after: Annotated[int | None, typer.Option("--after", help="Replay from this seq.")] = None,
    verification_token: Annotated[str, typer.Option("--verification-token")] = "",
    encrypt_key: Annotated[str, typer.Option("--encrypt-key")] = "",
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a webhook (a Feishu-format one must pass Feishu's URL check first)."""
    spec = webhooks.WebhookSpec(
        url, format_, event_types or [], verification_token, encrypt_key, after
    )

    settings = _settings(database_url)
    # The same address policy as the server's (CHATPINS_WEBHOOK_ALLOW_PRIVATE and the mode).
    targets = TargetPolicy.from_settings(settings)

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        if format_ == "feishu":
            webhooks.validate(spec, known_types(format_), targets.check_url)
            async with guarded_client(targets) as http:
                await verify_feishu_url(http, spec)
        return await webhooks.register(
            deps, found.id, spec, known_types(format_), targets.check_url
        )

    _print(render_webhook(_run(settings, use_case)), as_json)


@webhooks_cli.command("list")
def webhooks_list(app: AppOption, database_url: DatabaseUrl = None) -> None:
    """Print the app's webhooks as JSON."""

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await webhooks.list_webhooks(deps, found.id)

    _print({"webhooks": [render_webhook(w) for w in _run(_settings(database_url), use_case)]}, True)


@webhooks_cli.command("set-status")
def webhooks_set_status(
    app: AppOption,
    webhook_id: Annotated[str, typer.Argument(help="wh_…")],
    status: Annotated[str, typer.Argument(help="active (resume) or paused")],
    database_url: DatabaseUrl = None,
) -> None:
    """Pause a webhook, or resume a paused one (its pending deliveries go out at once)."""

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        current = await webhooks.get_webhook(deps, found.id, webhook_id)
        return await webhooks.update_webhook(
            deps,
            found.id,
            webhook_id,
            known_types=known_types(current.format),
            status=WebhookStatus(status),
        )

    _print(render_webhook(_run(_settings(database_url), use_case)), True)


@webhooks_cli.command("deliveries")
def webhooks_deliveries(
    app: AppOption,
    webhook_id: Annotated[str, typer.Argument(help="wh_…")],
    status: Annotated[str | None, typer.Option("--status")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a webhook's deliveries with every attempt, as JSON."""

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        wanted = DeliveryStatus(status) if status else None
        return await webhooks.list_deliveries(
            deps, found.id, webhook_id, status=wanted, limit=limit
        )

    views = _run(_settings(database_url), use_case)
    _print({"deliveries": [render_delivery(v) for v in views]}, True)


@webhooks_cli.command("remove")
def webhooks_remove(
    app: AppOption,
    webhook_id: Annotated[str, typer.Argument(help="wh_…")],
    database_url: DatabaseUrl = None,
) -> None:
    """Remove a webhook and its delivery history."""

    async def use_case(deps: Deps) -> None:
        found = await apps.get_app(deps, app)
        await webhooks.delete_webhook(deps, found.id, webhook_id)

    _run(_settings(database_url), use_case)
    typer.echo(f"removed {webhook_id}")


@events_cli.command("tail")
def events_tail(
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="CHATPINS_TOKEN",
            help="Admin key (with --app), tenant token, IMKit API key, or a user's token.",
        ),
    ],
    server: Annotated[str, typer.Option("--server")] = "http://127.0.0.1:8080",
    app: Annotated[str, typer.Option("--app", help="With the admin key: which app.")] = "",
    after: Annotated[int | None, typer.Option("--after", help="Start after this seq.")] = None,
    format_: Annotated[str, typer.Option("--format", help="native or zim")] = "native",
    heartbeats: Annotated[bool, typer.Option("--heartbeats", help="Print them too.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after N events.")] = None,
) -> None:
    """Print the live event stream, one JSON frame per line; resumes by itself."""
    from chatpins.tail import tail

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            tail(
                server,
                token,
                app_id=app,
                after=after,
                format_=format_,
                show=lambda line: print(line, flush=True),
                heartbeats=heartbeats,
                limit=limit,
            )
        )


def main() -> None:
    cli(prog_name="chatpins")


if __name__ == "__main__":
    main()
