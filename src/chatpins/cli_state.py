"""``chatpins load`` and ``chatpins dump``: declared state (apps, users, chats, members,
messages, pins) from and to a YAML or JSON file, straight on the database.

A bad file (unreadable, not the format, or refused when applied) exits with 2 and one line per
problem naming where it is; nothing of it is written. ``serve --load`` uses ``load_or_exit``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatpins.cli_common import AppOption, DatabaseUrl, JsonFlag, run, settings_for, show

if TYPE_CHECKING:
    from chatpins.core.context import Deps
    from chatpins.core.services.declared_apply import AppliedApp
    from chatpins.settings import Settings

state_cli = typer.Typer(help="Declared state: load and dump.")

BAD_FILE_EXIT = 2

StateFile = Annotated[
    Path,
    typer.Argument(
        help="A declared-state file: YAML, or JSON when it ends in .json.",
        show_default=False,
        dir_okay=False,
    ),
]


class DumpFormat(StrEnum):
    YAML = "yaml"
    JSON = "json"


@state_cli.command("load")
def load(file: StateFile, database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Create (or bring back to) the apps a file declares, with their fixed credentials,
    users, chats, members, messages and pins. Loading it again changes nothing."""
    applied = load_or_exit(settings_for(database_url), file)
    report = {"file": str(file), "apps": [_summary(a) for a in applied]}
    if as_json:
        show(report, as_json=True)
        return
    for line in summary_lines(applied):
        typer.echo(line)


def load_or_exit(settings: Settings, file: Path) -> list[AppliedApp]:
    """Apply the file, or print why not (one line per problem) and exit with 2."""
    from chatpins.core.services.declared_apply import apply_declared
    from chatpins.core.services.declared_state import DeclarationRefused
    from chatpins.declared.convert import to_core
    from chatpins.declared.files import DeclaredFileError, read_file

    try:
        state = to_core(read_file(file))
        return run(settings, lambda deps: apply_declared(deps, state))
    except DeclaredFileError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {file}: {problem}", err=True)
    except DeclarationRefused as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
    raise typer.Exit(BAD_FILE_EXIT)


def load_before_serving(settings: Settings, file: Path) -> None:
    """``serve --load``: apply the file first (a bad one stops the server from starting);
    secrets generated for a new app are printed in local mode only, as the demo app's are."""
    applied = load_or_exit(settings, file)
    for line in summary_lines(applied, secrets=settings.is_local):
        typer.echo(line)


def _summary(applied: AppliedApp) -> dict[str, Any]:
    return {
        "id": applied.app.id,
        "name": applied.app.name,
        "created": applied.created,
        "changes": dict(sorted(applied.changes.items())),
        "generated": applied.generated,
    }


def summary_lines(applied: list[AppliedApp], *, secrets: bool = True) -> list[str]:
    """What a load did, app by app (secrets generated for a new app: shown this once)."""
    lines = []
    for result in applied:
        what = "created" if result.created else ("updated" if result.changes else "unchanged")
        done = ", ".join(f"{n} {kind}" for kind, n in sorted(result.changes.items()))
        lines.append(f"app {result.app.id} ({result.app.name}): {what}{': ' if done else ''}{done}")
        for key, value in result.generated.items():
            shown = value if secrets else "(not printed in production mode)"
            lines.append(f"  {key} generated: {shown}")
    return lines


@state_cli.command("dump")
def dump(
    app: AppOption,
    format_: Annotated[
        DumpFormat | None,
        typer.Option(
            "--format", help="File format.", show_default="from --out's extension, else yaml"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file.", show_default="standard output"),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Write an app out as a declared-state file that `chatpins load` reads back. Secrets kept
    only hashed are written as their hashes: loading the file keeps them working."""
    from chatpins.core.services.declared_read import read_declared
    from chatpins.declared.convert import Undeclarable, to_file
    from chatpins.declared.files import Format, format_of, render

    async def use_case(deps: Deps) -> Any:
        return await read_declared(deps, app)

    declared = run(settings_for(database_url), use_case)
    fmt: Format = format_of(out) if out is not None else "yaml"
    if format_ is not None or as_json:  # --json: the file as one JSON document, as --format json
        fmt = "json" if as_json or format_ is DumpFormat.JSON else "yaml"
    try:
        text = render(to_file(declared), fmt)
    except Undeclarable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
