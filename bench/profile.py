"""Where a request's CPU goes: ``python -m bench profile [create|list] [--concurrency N]``.

One chatpins server (SQLite, on the server core) loaded by wrk with Feishu pin creates (each a
new message), Feishu pin lists (a chat of 100 pins), native pin creates or native reorders (a
full 50-pin chat, as ``bench native``) or ZIM conversation lists (10,000 conversations, as
``bench all``), while py-spy samples the server's thread that
holds the GIL, so waiting (for the commit thread, for the network) is left out. Prints the
server's CPU per request and the hottest frames, by own and by inclusive samples, and keeps
py-spy's raw stacks under ``bench/results/`` for a closer look (or a flame graph). Used for
the before and after profiles of docs/benchmarks.md's speed steps.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import native, processes, scenarios, seed, zim
from bench.loader import run_wrk, write_requests
from bench.scenarios import PIN_PATH, Plan

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench profile")
    parser.add_argument(
        "what",
        choices=["create", "list", "native", "reorder", "zim-list"],
        nargs="?",
        default="create",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    plan = Plan(seconds=args.seconds)
    database_url = f"sqlite+aiosqlite:///{plan.workdir / 'profile.db'}"
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    stacks = RESULTS / f"profile-{args.what}-c{args.concurrency}.txt"
    RESULTS.mkdir(exist_ok=True)
    with processes.chatpins(port, database_url, scenarios.ADMIN_KEY) as server:
        if args.what == "zim-list":
            admin = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {scenarios.ADMIN_KEY}"}
            )
            headers = {"Content-Type": "application/json"}
            requests = zim.list_requests(plan, zim.ZimApp(base, database_url, admin))(
                plan.requests_needed()
            )
        elif args.what in ("native", "reorder"):
            chat = native.NativeChat(base, database_url)
            headers = chat.headers
            make = native.create_requests if args.what == "native" else native.order_requests
            requests = make(plan, chat, plan.requests_needed())
        else:
            headers, requests = _feishu_load(args.what, plan, base, database_url)
        assert server.proc is not None
        spy = subprocess.Popen(
            [str(Path(sys.executable).with_name("py-spy")), "record", "--gil", "-r", "250",
             "-f", "raw", "-o", str(stacks), "-p", str(server.proc.pid),
             "-d", str(args.seconds + 1)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)  # py-spy attached
        cpu_before = server.cpu_seconds()
        result = run_wrk(base, requests, concurrency=args.concurrency, seconds=args.seconds,
                         headers=headers)  # fmt: skip
        cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(result.requests, 1)
        spy.wait()
    print(
        f"{args.what} c={args.concurrency}: {result.rps:.0f} req/s, p50 {result.p50_ms} ms, "
        f"p99 {result.p99_ms} ms, errors {result.errors}, server CPU {cpu_ms:.2f} ms/request"
    )
    print(summary(stacks, args.top))


def _feishu_load(
    what: str, plan: Plan, base: str, database_url: str
) -> tuple[dict[str, str], Path]:
    fa = scenarios.feishu_app(base, database_url)
    ids = seed.insert_messages(
        database_url, fa.app["id"], fa.chat_id, fa.app["feishu"]["app_id"],
        plan.requests_needed() + 200,
    )  # fmt: skip
    with httpx.Client(base_url=base, headers=fa.headers) as client:
        for message_id in ids[:100]:  # a warm server, and a chat of 100 pins to list
            client.post(PIN_PATH, json={"message_id": message_id}).raise_for_status()
    if what == "list":
        line = ("GET", f"{PIN_PATH}?chat_id={fa.chat_id}", "")
        return fa.headers, write_requests(plan.workdir / "list.txt", [line])
    return fa.headers, scenarios._pin_bodies(plan, ids[200:])


def summary(stacks: Path, top: int) -> str:
    """The frames with the most samples of their own, then the chatpins frames with the most
    samples under them (what a change to that function would save, at most)."""
    own: collections.Counter[str] = collections.Counter()
    under: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            if "chatpins/" in frame:
                under[frame] += samples
    lines = [f"{total} samples (py-spy --gil, raw stacks in {stacks})", "", "own:"]
    lines += [f"{n * 100 / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive, chatpins frames:"]
    lines += [f"{n * 100 / total:5.1f}%  {f}" for f, n in under.most_common(top)]
    return "\n".join(lines)
