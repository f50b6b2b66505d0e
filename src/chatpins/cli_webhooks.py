"""``chatpins webhooks …``: an app's webhooks, straight on the database (beside a running server,
whose worker picks up what these commands write)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatpins.cli_common import AppOption, DatabaseUrl, JsonFlag, run, settings_for, show, show_rows
from chatpins.core.entities import DeliveryStatus, WebhookStatus
from chatpins.core.services import apps, webhooks

if TYPE_CHECKING:
    from chatpins.core.context import Deps

webhooks_cli = typer.Typer(help="Webhooks of an app.", no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="The webhook's id (wh_…).", show_default=False)]


@webhooks_cli.command("add")
def webhooks_add(
    app: AppOption,
    url: Annotated[str, typer.Option("--url", help="Where to POST the events.")],
    event_types: Annotated[
        list[str] | None,
        typer.Option(
            "--event-type",
            metavar="<type>",
            help="An event type to deliver, or `pin.*` for a family; repeat for several.",
            show_default="every event type",
        ),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="Body format: native (Standard Webhooks) or feishu.")
    ] = "native",
    after: Annotated[
        int | None,
        typer.Option(
            "--after",
            help="Start after this seq (0: the app's events so far too).",
            show_default="only events from now on",
        ),
    ] = None,
    verification_token: Annotated[
        str,
        typer.Option(
            "--verification-token",
            help="Feishu format: the token put in every body.",
            show_default="none",
        ),
    ] = "",
    encrypt_key: Annotated[
        str,
        typer.Option(
            "--encrypt-key",
            help="Feishu format: encrypt bodies with this key.",
            show_default="none: plain bodies",
        ),
    ] = "",
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a webhook (a Feishu-format one must pass Feishu's URL check first)."""
    from chatpins.api.webhooks import render_webhook
    from chatpins.delivery.targets import TargetPolicy, guarded_client
    from chatpins.delivery.webhooks import known_types, verify_feishu_url

    spec = webhooks.WebhookSpec(
        url, format_, event_types or [], verification_token, encrypt_key, after
    )

    settings = settings_for(database_url)
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

    show(render_webhook(run(settings, use_case)), as_json)


def _webhook_line(w: dict[str, Any]) -> str:
    types = ",".join(w["event_types"]) or "*"
    return f"{w['id']}  {w['status']}  {w['format']}  {w['url']}  {types}"


@webhooks_cli.command("list")
def webhooks_list(
    app: AppOption, database_url: DatabaseUrl = None, as_json: JsonFlag = False
) -> None:
    """List the app's webhooks: one line each (id, status, format, url, event types)."""
    from chatpins.api.webhooks import render_webhook

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await webhooks.list_webhooks(deps, found.id)

    rows = [render_webhook(w) for w in run(settings_for(database_url), use_case)]
    show_rows("webhooks", rows, _webhook_line, as_json)


@webhooks_cli.command("set-status")
def webhooks_set_status(
    app: AppOption,
    webhook_id: WebhookId,
    status: Annotated[
        WebhookStatus,
        typer.Argument(help="active (resume) or paused.", show_default=False),
    ],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Pause a webhook, or resume a paused one (its pending deliveries go out at once)."""
    from chatpins.api.webhooks import render_webhook
    from chatpins.delivery.webhooks import known_types

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        current = await webhooks.get_webhook(deps, found.id, webhook_id)
        return await webhooks.update_webhook(
            deps, found.id, webhook_id, known_types=known_types(current.format), status=status
        )

    show(render_webhook(run(settings_for(database_url), use_case)), as_json)


def _delivery_line(d: dict[str, Any]) -> str:
    outcome = d["last_status_code"] or d["last_error"] or ""
    attempts = f"{d['attempts']} attempt{'s' if d['attempts'] != 1 else ''}"
    return f"{d['id']}  seq {d['seq']}  {d['event_type']}  {d['status']}  {attempts}  {outcome}"


@webhooks_cli.command("deliveries")
def webhooks_deliveries(
    app: AppOption,
    webhook_id: WebhookId,
    status: Annotated[
        DeliveryStatus | None,
        typer.Option("--status", help="Only the deliveries in this state.", show_default="all"),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many (1-1000), in seq order.")
    ] = 100,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """A webhook's deliveries: one line each (id, seq, event type, status, attempts, last
    outcome); with --json, every attempt too."""
    from chatpins.api.webhooks import render_delivery

    async def use_case(deps: Deps) -> Any:
        found = await apps.get_app(deps, app)
        return await webhooks.list_deliveries(
            deps, found.id, webhook_id, status=status, limit=limit
        )

    rows = [render_delivery(v) for v in run(settings_for(database_url), use_case)]
    show_rows("deliveries", rows, _delivery_line, as_json)


@webhooks_cli.command("remove")
def webhooks_remove(
    app: AppOption,
    webhook_id: WebhookId,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove a webhook and its delivery history."""

    async def use_case(deps: Deps) -> None:
        found = await apps.get_app(deps, app)
        await webhooks.delete_webhook(deps, found.id, webhook_id)

    run(settings_for(database_url), use_case)
    show({"removed": webhook_id}, as_json)
