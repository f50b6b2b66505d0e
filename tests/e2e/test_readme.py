"""The README runs as written: a server started as it says (``.venv/bin/chatpins serve`` in an
empty folder: SQLite, local mode, the demo app's fixed credentials), then every fenced block but
the install steps, in the README's order, in a shell or in Python as a reader would, and their
replies checked — the cross-dialect claim among them. So the README cannot promise what the
server does not do. A block that cannot run here says so on the line before its fence:
``<!-- not run by tests/e2e/test_readme.py: the reason -->``.

Two things differ from a reader's machine: the server listens on a free port (``CHATPINS_PORT``)
and each snippet's ``:8080`` is rewritten to it, and ``.venv/bin`` in the folder holds wrappers
that run this interpreter (with this checkout's ``src``), so the snippets' ``.venv/bin/chatpins``
and ``.venv/bin/python`` are the code under test.
"""

from __future__ import annotations

import ast
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import REPO_ROOT, STARTUP_TIMEOUT_S, free_port

pytestmark = pytest.mark.sqlite

README = REPO_ROOT / "README.md"
BLOCK_TIMEOUT_S = 120.0
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOT_RUN = "<!-- not run by tests/e2e/test_readme.py"


@dataclass
class Block:
    lang: str
    code: str
    opted_out: bool = False
    # Filled in when run.
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    replies: list[Any] = field(default_factory=list)

    @property
    def is_install_step(self) -> bool:
        return "pip install" in self.code

    @property
    def runs(self) -> bool:
        return not (self.is_install_step or self.opted_out)

    def describe(self) -> str:
        return f"```{self.lang}\n{self.code}```\nexit {self.returncode}\n{self.stdout}{self.stderr}"


def readme_blocks() -> list[Block]:
    text = README.read_text()
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
        blocks.append(Block(match[1], match[2], opted_out=before.startswith(NOT_RUN)))
    return blocks


def json_documents(text: str) -> list[Any]:
    """Every JSON object in ``text`` (curl prints replies back to back, ``-i`` with headers)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) != -1:
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            at += 1
            continue
        found.append(value)
        at = end
    return found


def is_error_reply(reply: Any) -> bool:
    """A failure in any dialect's own form: IMKit ``RC``, Feishu ``code``, ZIM ``Code``, the
    native API's ``error`` body."""
    if not isinstance(reply, dict):
        return False
    return (
        "error" in reply
        or reply.get("RC", 0) != 0
        or reply.get("code", 0) != 0
        or reply.get("Code", 0) != 0
    )


def _environment(folder: Path, port: int) -> dict[str, str]:
    # A reader's shell: no CHATPINS_* (the commands use ./chatpins.db), the server's port.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPINS_")}
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else src
    env["PYTHONUNBUFFERED"] = "1"
    env["CHATPINS_PORT"] = str(port)
    return env


def _venv_wrappers(folder: Path) -> None:
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, args in (("chatpins", "-m chatpins"), ("python", "")):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" {args} "$@"\n')
        wrapper.chmod(0o755)


class ReadmeServer:
    """`.venv/bin/chatpins serve`, in ``folder``, as the README's set-up block starts it."""

    def __init__(self, folder: Path, env: dict[str, str], port: int) -> None:
        self.folder, self.env, self.port = folder, env, port
        self.log_path = folder / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, command: str) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                command.split(), cwd=self.folder, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"`{command}` exited:\n{self.log_path.read_text()}", pytrace=False)
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v1/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling for readiness, as tests/e2e/live_server.py does
        pytest.fail(f"`{command}` not ready:\n{self.log_path.read_text()}", pytrace=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _on_port(code: str, port: int) -> str:
    return re.sub(r"\b(localhost|127\.0\.0\.1):8080\b", rf"\1:{port}", code)


def _run(block: Block, folder: Path, env: dict[str, str], port: int) -> None:
    code = _on_port(block.code, port)
    if "events tail" in code:
        _run_stream(block, code, folder, env)
        return
    if block.lang == "python":
        script = folder / "snippet.py"
        script.write_text(code)
        argv = [str(folder / ".venv" / "bin" / "python"), str(script)]
    else:
        argv = ["bash", "-e", "-o", "pipefail", "-c", code]
    done = subprocess.run(
        argv, cwd=folder, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S
    )
    block.returncode, block.stdout, block.stderr = done.returncode, done.stdout, done.stderr
    block.replies = json_documents(done.stdout)


def _run_stream(block: Block, code: str, folder: Path, env: dict[str, str]) -> None:
    """``events tail`` runs until stopped: read frames until the first event, then stop it."""
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + code.strip()],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + BLOCK_TIMEOUT_S
    lines: list[str] = []
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
            line = proc.stdout.readline() if ready else ""
            if not line:
                break
            lines.append(line)
            if json.loads(line).get("type") == "event":
                break
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    block.returncode, block.stdout, block.stderr = 0, "".join(lines), stderr
    block.replies = [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Block]]:
    if shutil.which("curl") is None:
        pytest.skip("the README's snippets use curl, which is not installed")
    folder = tmp_path_factory.mktemp("readme")
    port = free_port()
    env = _environment(folder, port)
    _venv_wrappers(folder)
    blocks = readme_blocks()
    setup = blocks[0]
    serve = re.search(r"\.venv/bin/chatpins serve\b.*$", setup.code, re.MULTILINE)
    assert serve is not None, "the README's first block starts the server"
    server = ReadmeServer(folder, env, port)
    server.start(serve.group(0).strip())
    try:
        for block in blocks:
            if block.runs:
                _run(block, folder, env, port)
        yield blocks
    finally:
        server.stop()


def _only(blocks: list[Block], marker: str) -> Block:
    found = [b for b in blocks if marker in b.code]
    assert len(found) == 1, f"one README block has {marker!r}"
    return found[0]


def test_every_block_but_the_install_steps_runs_without_an_error(ran: list[Block]) -> None:
    run = [b for b in ran if b.runs]
    assert len(run) >= 6
    failed = [b.describe() for b in run if b.returncode != 0]
    assert failed == []
    refused = [(b.code.splitlines()[0], r) for b in run for r in b.replies if is_error_reply(r)]
    assert refused == []


def test_no_snippet_has_a_placeholder(ran: list[Block]) -> None:
    placeholders = [b.code for b in ran if re.search(r"<[a-z][a-z _]*>|…", b.code)]
    assert placeholders == []


def test_the_lark_oapi_tour_pins_lists_and_meets_the_vendors_error(ran: list[Block]) -> None:
    tour = _only(ran, "lark.Client.builder()")
    created, listed, again = tour.stdout.splitlines()
    assert re.fullmatch(r"0 \d{13}", created)
    assert re.fullmatch(r"\['om_[0-9a-f]{32}'\]", listed)
    assert again == "230011 The message is recalled."


def test_a_user_and_its_token_are_made_from_the_command_line(ran: list[Block]) -> None:
    user, token = _only(ran, "users create").replies
    assert user["id"] == "carol" and user["feishu"]["open_id"].startswith("ou_")
    assert token["token"].startswith("u-")


def test_a_message_pinned_through_imkit_is_in_feishus_pin_list(ran: list[Block]) -> None:
    block = _only(ran, "/rooms/demo-room/members")
    pinned = [
        r["result"]["_id"]
        for r in block.replies
        if isinstance(r.get("result"), dict) and r["result"].get("pinned") is True
    ]
    feishu = [r for r in block.replies if "data" in r and "items" in r["data"]]
    assert len(pinned) == 1 and len(feishu) == 1
    assert [item["message_id"] for item in feishu[0]["data"]["items"]] == pinned
    assert feishu[0]["data"]["items"][0]["chat_id"] == "demo-room"


def test_zim_pins_a_conversation_on_top(ran: list[Block]) -> None:
    listed = ast.literal_eval(_only(ran, "ConvPinned").stdout.strip())
    assert listed[0]["ConvId"] == "leo" and listed[0]["IsPinned"] is True


def test_the_native_tour_reorders_schedules_and_pins_the_conversation(ran: list[Block]) -> None:
    replies = _only(ran, "/chats/team/pins/order").replies
    reordered = next(r for r in replies if r.get("version") == 3 and "pins" in r)
    ordered = [p["message_id"] for p in reordered["pins"]]
    first = next(r for r in replies if r.get("pin", {}).get("note") == "until the release")
    assert ordered[0] == first["pin"]["message_id"] and len(ordered) == 2
    scheduled = [r for r in replies if r.get("pin", {}).get("scheduled") is True]
    assert len(scheduled) == 1
    conversations = replies[-1]["items"]
    assert conversations[0]["chat_id"] == "team" and conversations[0]["pinned"] == "global"


def test_events_tail_streams_the_apps_events(ran: list[Block]) -> None:
    frames = _only(ran, "events tail").replies
    last = frames[-1]
    assert last["type"] == "event"
    assert last.get("seq", last.get("event", {}).get("seq")) >= 1
