"""``chatpins events tail``: a client of a running server's event stream. It talks to the server
over WebSocket, not to a database, so it takes ``--server`` and no ``--database-url``; its output
is JSON already (one frame per line), so it has no ``--json`` either."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

events_cli = typer.Typer(help="The event stream of a running server.", no_args_is_help=True)


@events_cli.command("tail")
def events_tail(
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="CHATPINS_TOKEN",
            help="Admin key (with --app), tenant token, IMKit API key, or a user's token.",
            show_default=False,
        ),
    ],
    server: Annotated[str, typer.Option("--server", help="The server's base URL.")] = (
        "http://127.0.0.1:8080"
    ),
    app: Annotated[
        str,
        typer.Option("--app", help="With the admin key: which app (app_…).", show_default="none"),
    ] = "",
    after: Annotated[
        int | None,
        typer.Option(
            "--after",
            help="Start after this seq (0: from the first event).",
            show_default="now: new events only",
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format", help="native, or zim (conversation pins as ZIM's conversationChanged)."
        ),
    ] = "native",
    heartbeats: Annotated[
        bool, typer.Option("--heartbeats", help="Print heartbeat frames too.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help="Stop after this many events.", show_default="none: until Ctrl-C"
        ),
    ] = None,
) -> None:
    """Print the live event stream as JSON lines (one frame per line; the output is always
    JSON, so there is no --json). It talks to a server over WebSocket, not to a database (so no
    --database-url), and resumes by itself after a dropped connection."""
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
