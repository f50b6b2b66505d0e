"""``chatpins apps list | show | rotate-secret`` (``apps create`` is in ``cli``), and the
credential lines the ``serve`` banner shares with ``apps show``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatpins.cli_common import DatabaseUrl, JsonFlag, run, settings_for, show, show_rows
from chatpins.core.services.apps import SecretKind

if TYPE_CHECKING:
    from chatpins.core.context import Deps
    from chatpins.core.entities import App
    from chatpins.core.services.demo_app import DemoSecrets

apps_cli = typer.Typer(help="Apps (tenants).", no_args_is_help=True)

AppArgument = Annotated[
    str, typer.Argument(help="App id (app_…), Feishu app id (cli_…) or ZIM AppId.")
]


def rotate_command(app_id: str, dialect: str) -> str:
    return f"chatpins apps rotate-secret {app_id} --dialect {dialect}"


def hashed_credentials(app: App) -> dict[str, str]:
    """The credentials only stored hashed (never shown again after creation), each with the
    command that makes a new one."""
    hashed = {
        "feishu.app_secret": rotate_command(app.id, "feishu"),
        "imkit.api_key": rotate_command(app.id, "imkit"),
    }
    if app.native_api_key_hash is not None:
        hashed["native.api_key"] = rotate_command(app.id, "native")
    return hashed


def render_shown(app: App, known: DemoSecrets | None) -> dict[str, Any]:
    """The app as ``GET /v1/apps/{id}`` renders it, plus the documented demo secrets that still
    work (only the demo app has any) and which credentials are stored hashed."""
    from chatpins.api.provisioning import render_app

    data = render_app(app)
    if known is not None:
        for section, name, value in (
            ("feishu", "app_secret", known.feishu_app_secret),
            ("imkit", "api_key", known.imkit_api_key),
            ("native", "api_key", known.native_api_key),
        ):
            if value is not None:
                data[section][name] = value
    data["stored_hashed"] = hashed_credentials(app)
    return data


def credential_lines(app: App, known: DemoSecrets | None, *, hidden: str) -> list[str]:
    """One aligned line per credential; a hashed one unknown here reads ``hidden``."""
    from chatpins.core.identity import feishu_open_id

    def secret(value: str | None) -> str:
        return value if value is not None else hidden

    feishu_secret = known.feishu_app_secret if known else None
    imkit_key = known.imkit_api_key if known else None
    native_key = known.native_api_key if known else None
    rows = [
        ("feishu app_id", app.feishu_app_id),
        ("feishu app_secret", secret(feishu_secret)),
        ("feishu bot open_id", feishu_open_id(app.id, app.bot_user_id)),
        ("imkit client key", app.imkit_client_key),
        ("imkit api key", secret(imkit_key)),
        ("zim AppId", str(app.zim_app_id)),
        ("zim ServerSecret", app.zim_server_secret),
        ("native api key", secret(native_key)),
    ]
    return [f"  {label + ':':<20}{value}" for label, value in rows]


@apps_cli.command("list")
def apps_list(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Every app, oldest first: one line each (id, Feishu app id, ZIM AppId, name)."""
    from chatpins.api.provisioning import render_app
    from chatpins.core.services import apps

    found = run(settings_for(database_url), apps.list_apps)
    rows = [render_app(app) for app in found]

    def line(row: dict[str, Any]) -> str:
        return f"{row['id']}  {row['feishu']['app_id']}  {row['zim']['app_id']}  {row['name']}"

    show_rows("apps", rows, line, as_json)


@apps_cli.command("show")
def apps_show(
    app: AppArgument, database_url: DatabaseUrl = None, as_json: JsonFlag = False
) -> None:
    """An app's credentials. Those kept only as hashes (Feishu app_secret, IMKit API key,
    native API key) cannot be shown again: `apps rotate-secret` makes new ones. The local demo
    app's documented ones are shown as long as they work."""
    from chatpins.core.services import apps
    from chatpins.core.services.demo_app import documented_secrets

    found = run(settings_for(database_url), lambda deps: apps.get_app(deps, app))
    known = documented_secrets(found)
    if as_json:
        show(render_shown(found, known), as_json=True)
        return
    lines = [f"app {found.id} ({found.name})"]
    lines += credential_lines(found, known, hidden="stored hashed (see below)")
    lines += ["", "stored hashed, shown only when made; a new one replaces the old at once:"]
    lines += [f"  {name}: {command}" for name, command in hashed_credentials(found).items()]
    typer.echo("\n".join(lines))


@apps_cli.command("rotate-secret")
def apps_rotate_secret(
    app: AppArgument,
    dialect: Annotated[
        SecretKind,
        typer.Option(
            "--dialect",
            help="Which secret: Feishu app_secret (its tenant and app tokens are revoked too), "
            "IMKit API key, native API key, or ZIM ServerSecret.",
        ),
    ],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace one secret of an app and print the new one (shown only now); the old one stops
    working at once, also for a server running beside this command."""
    from chatpins.core.services import apps

    async def use_case(deps: Deps) -> tuple[str, str]:
        found = await apps.get_app(deps, app)
        return found.id, await apps.rotate_secret(deps, found.id, dialect)

    app_id, secret = run(settings_for(database_url), use_case)
    if as_json:
        show({"app": app_id, "dialect": dialect.value, "secret": secret}, as_json=True)
    else:
        typer.echo(secret)
