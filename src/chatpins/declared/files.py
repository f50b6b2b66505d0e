"""Reading and writing declared-state files: YAML or JSON, chosen by the file's extension
(``.json``: JSON; anything else: YAML, of which JSON is a subset).

Every problem with a file is a ``DeclaredFileError`` whose lines each name where the problem
is: a line and column for syntax, the path of the bad field for everything else
(``apps[0].chats[2].pins[1].message: unknown message 'm9'``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from chatpins.core.services.declared_state import format_path
from chatpins.declared.schema import DeclaredFile

Format = Literal["yaml", "json"]
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ERRORS = 20  # listed of one file; the rest counted

HEADER = """\
# chatpins declared state: `chatpins load FILE` makes it true (idempotently).
# Secrets chatpins keeps only hashed are written as their hashes (*_sha256): loading this file
# keeps them working, but they cannot be read back; ZIM's ServerSecret is kept in clear.
"""


class DeclaredFileError(Exception):
    """A file that cannot be read as a declared state; ``problems``: one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def format_of(path: Path) -> Format:
    return "json" if path.suffix.lower() == ".json" else "yaml"


def read_file(path: Path) -> DeclaredFile:
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DeclaredFileError(source, [exc.strerror or str(exc)]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise DeclaredFileError(source, [f"larger than {MAX_FILE_BYTES} bytes"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeclaredFileError(source, [f"not UTF-8 text (byte {exc.start})"]) from exc
    return parse(text, format_of(path), source)


def parse(text: str, fmt: Format, source: str = "<declared state>") -> DeclaredFile:
    """The declared state a YAML or JSON text holds, checked against the format."""
    data = _decode(text, fmt, source)
    try:
        return DeclaredFile.model_validate(data, strict=True)
    except ValidationError as exc:
        raise DeclaredFileError(source, validation_problems(exc)) from exc


def validation_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False)[:MAX_ERRORS]:
        where = format_path(tuple(error["loc"])) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required"
        problems.append(f"{where}: {message}")
    if exc.error_count() > MAX_ERRORS:
        problems.append(f"… and {exc.error_count() - MAX_ERRORS} more")
    return problems


def _decode(text: str, fmt: Format, source: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise DeclaredFileError(source, [f"{where}: {exc.msg}"]) from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506  (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DeclaredFileError(source, [f"{where}{exc.problem}"]) from exc
    except yaml.YAMLError as exc:
        raise DeclaredFileError(source, [str(exc)]) from exc


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe subset, refusing a key given twice in one mapping (which the standard
    loader resolves silently to the last value: a fixture edited in two places)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # unhashable: the standard loader says so
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def render(declared: DeclaredFile, fmt: Format) -> str:
    """The text of a declared state in the format asked for (what ``chatpins dump`` writes)."""
    data = declared.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return HEADER + body
