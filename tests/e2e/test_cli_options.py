"""The command line keeps the README's promises: every command takes `--database-url` and `--json`
but the two the README's "Provisioning" section names, every option and argument has a help text
and shows its default, `chatpins --version` is the package's version, and `--json` prints one
JSON document. The commands are found from `chatpins --help`, so a new one is checked too.

The help pages and most commands run in this process (``in_process``: the app object
`python -m chatpins` runs); `--version` and one `--json` command per backend run as the
subprocess a user starts, so the entry point and a real process's stdout stay covered."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import (  # noqa: F401 (fixtures)
    chatpins,
    fresh_postgres_url,
    in_process,
    sqlite_url,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
Command = tuple[str, ...]
Entry = tuple[str, str]  # (the option or argument as shown, its help text)
Page = dict[str, list[Entry]]  # help section ("Options", "Arguments", "Commands") -> entries

# What the README's Provisioning section says two commands do without: `serve` prints a banner
# and its log; `events tail` talks to a server over WebSocket and always prints JSON lines.
WITHOUT = {("serve",): {"--json"}, ("events", "tail"): {"--database-url", "--json"}}
SHARED = {"--database-url", "--json"}


def _help(command: Command) -> str:
    # Plain (not rich) help, the stable format click prints: what TYPER_USE_RICH=0 gives a
    # process, typer reading the variable once, at its import, into this flag.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("typer.core.HAS_RICH", False)
        return in_process(*command, "--help").stdout


def _sections(text: str) -> Page:
    """Click's help page: each "Name:" section's two-column entries, wrapped lines joined."""
    page: dict[str, list[list[str]]] = {}
    entries: list[list[str]] | None = None
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][a-z]+:", line):
            entries = page[line[:-1]] = []
        elif entries is None or not line.strip():
            continue
        elif re.match(r"  \S", line):  # a new entry: "  --name <str>  Its help."
            spec, *rest = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            entries.append([spec, *rest] if rest else [spec, ""])
        else:  # a wrapped line of the entry above
            entries[-1][1] = f"{entries[-1][1]} {line.strip()}".strip()
    return {name: [(spec, text) for spec, text in rows] for name, rows in page.items()}


def _walk(command: Command = ()) -> Iterator[tuple[Command, Page]]:
    page = _sections(_help(command))
    yield command, page
    for spec, _ in page.get("Commands", []):
        yield from _walk((*command, spec))


@pytest.fixture(scope="module")
def pages() -> dict[Command, Page]:
    """Every help page, the root's and each group's included."""
    return dict(_walk())


@pytest.fixture(scope="module")
def commands(pages: dict[Command, Page]) -> dict[Command, set[str]]:
    """Each command (a page without subcommands) and the options it lists."""
    return {
        command: {spec.split()[0] for spec, _ in page.get("Options", [])}
        for command, page in pages.items()
        if "Commands" not in page
    }


def _provisioning_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    return readme.split("## Provisioning", 1)[1].split("\n## ", 1)[0]


def test_every_command_takes_database_url_and_json_but_where_the_readme_says(
    commands: dict[Command, set[str]],
) -> None:
    assert len(commands) >= 12 and set(WITHOUT) <= set(commands)
    wrong = {
        " ".join(command): sorted(options & SHARED)
        for command, options in commands.items()
        if options & SHARED != SHARED - WITHOUT.get(command, set())
    }
    assert wrong == {}, "commands whose --database-url/--json differ from the README"
    section = _provisioning_section()
    prose = section.split("\n|", 1)[0]
    for command in WITHOUT:
        assert f"`{' '.join(command)}`" in prose, "the README names each exception"
    undocumented = [c for c in commands if f"| `chatpins {' '.join(c)}" not in section]
    assert undocumented == [], "every command has its row in the README's table"


def test_every_option_and_argument_has_a_help_text_and_shows_its_default(
    pages: dict[Command, Page],
) -> None:
    missing: list[str] = []
    for command, page in pages.items():
        where = " ".join(("chatpins", *command))
        for section in ("Options", "Arguments"):
            for spec, text in page.get(section, []):
                described = re.sub(r"\[(required|default: .*?|env var: .*?)\]", "", text)
                if not described.strip(" ;"):
                    missing.append(f"{where} {spec}: no help text")
                is_flag = len(spec.split()) == 1  # an option without a value
                shown = "[default:" in text or "required]" in text
                if section == "Options" and not is_flag and not shown:
                    missing.append(f"{where} {spec}: no default shown")
    assert missing == []


def test_version_is_the_packages() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    result = chatpins("--version")
    assert result.stdout == f"chatpins {pyproject['project']['version']}\n"


@pytest.fixture(
    params=[
        pytest.param("sqlite_url", id="sqlite", marks=pytest.mark.sqlite),
        pytest.param("fresh_postgres_url", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(request.param)
    return url


def test_json_output_of_every_command_is_one_json_document(
    database_url: str, commands: dict[Command, set[str]], tmp_path: Path
) -> None:
    covered: set[Command] = set()

    def as_json(*args: str, env: dict[str, str] | None = None, real_process: bool = False) -> Any:
        words = [a for a in args if not a.startswith("-")]
        command = next(c for c in commands if list(c) == words[: len(c)])
        covered.add(command)
        run = chatpins if real_process else in_process
        result = run(*args, "--json", "--database-url", database_url, env=env)
        return json.loads(result.stdout)

    # The one a real process runs: Alembic's migrations are where a stray log line would land
    # on stdout, beside the JSON.
    upgraded = as_json("db", "upgrade", real_process=True)
    assert upgraded["previous"] is None and re.fullmatch(r"[0-9a-z_]+", upgraded["revision"])
    again = as_json("db", "upgrade")
    assert again == {"revision": upgraded["revision"], "previous": upgraded["revision"]}
    app = as_json("apps", "create", "--name", "json")
    app_id = app["id"]
    assert [a["id"] for a in as_json("apps", "list")["apps"]] == [app_id]
    shown = as_json("apps", "show", app_id)
    assert shown["id"] == app_id and "app_secret" not in shown["feishu"]
    assert set(shown["stored_hashed"]) == {"feishu.app_secret", "imkit.api_key", "native.api_key"}
    rotated = as_json("apps", "rotate-secret", app_id, "--dialect", "zim")
    assert rotated["app"] == app_id and re.fullmatch(r"[0-9a-f]{32}", rotated["secret"])
    assert as_json("users", "create", "--app", app_id, "--id", "ann")["id"] == "ann"
    token = as_json("tokens", "issue", "--app", app_id, "--user", "ann", "--dialect", "imkit")
    assert set(token) == {"token", "expires_at"}
    key = as_json("admin-key", "rotate")
    assert set(key) == {"admin_key"} and key["admin_key"].startswith("cpk_")
    # A name, not an address: registration accepts it on either backend (it is resolved and
    # judged only when a delivery is made, and no server runs here).
    hook = as_json("webhooks", "add", "--app", app_id, "--url", "https://hooks.example.com/x")
    listed = as_json("webhooks", "list", "--app", app_id)
    assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    paused = as_json("webhooks", "set-status", "--app", app_id, hook["id"], "paused")
    assert paused["id"] == hook["id"] and paused["status"] == "paused"
    assert as_json("webhooks", "deliveries", "--app", app_id, hook["id"]) == {"deliveries": []}
    assert as_json("webhooks", "remove", "--app", app_id, hook["id"]) == {"removed": hook["id"]}
    assert as_json("webhooks", "list", "--app", app_id) == {"webhooks": []}
    dumped = as_json("dump", "--app", app_id)
    assert dumped["apps"][0]["id"] == app_id
    (tmp_path / "state.json").write_text(json.dumps(dumped))
    assert as_json("load", str(tmp_path / "state.json"))["apps"][0]["changes"] == {}
    # A test control: on PostgreSQL (production mode) only where they are switched on.
    controls = {"CHATPINS_TEST_CONTROLS": "true"}
    assert as_json("reset", "--app", app_id, env=controls)["app_id"] == app_id

    with_json = {command for command, options in commands.items() if "--json" in options}
    assert covered == with_json, "every command with --json is run with it here"


def test_without_json_the_output_is_text(sqlite_url: str) -> None:  # noqa: F811
    db = ["--database-url", sqlite_url]
    assert in_process("db", "upgrade", *db).stdout.startswith("schema at ")
    key = in_process("admin-key", "rotate", *db).stdout
    assert re.fullmatch(r"cpk_[0-9a-f]+\n", key)
    app = in_process("apps", "create", "--name", "text", *db).stdout
    assert re.search(r"^id: app_[0-9a-f]{16}$", app, re.MULTILINE)
