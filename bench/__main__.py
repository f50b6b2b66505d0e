"""``python -m bench all`` runs every scenario; ``python -m bench pin`` only the pin ones;
``python -m bench events`` only the event stream's (fan-out latency, idle memory);
``python -m bench profile`` where one scenario's CPU goes (bench/profile.py).

Writes bench/results/latest.json (machine facts, versions, every figure); ``all`` also writes
the PNG plots and the generated section of docs/benchmarks.md. ``events`` alone replaces the
event figures in the latest.json it finds and, when that came from ``all``, regenerates the
docs from it, so the event stream can be re-measured in two minutes instead of seven.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bench import scenarios
from bench.scenarios import Plan

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": len(__import__("os").sched_getaffinity(0)),
        "wrk": wrk.splitlines()[0] if wrk else "",
        "packages": {p: version(p) for p in ("chatpins", "uvicorn", "starlette", "sqlalchemy",
                                              "aiosqlite", "asyncpg", "matrix-synapse")},
        "pinning": "server on CPU 0, loader (wrk) on CPU 1 (taskset)",
    }  # fmt: skip


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    if sys.argv[1:2] == ["profile"]:
        from bench import profile

        profile.main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "what", choices=["all", "pin", "ceilings", "synapse", "events", "native", "postgres"]
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres-url", default=None, help="also run chatpins on PostgreSQL")
    parser.add_argument("--pgbouncer-url", default=None, help="the same database via PgBouncer")
    parser.add_argument("--redis-url", default=None, help="Redis for the two-instance run")
    args = parser.parse_args()
    plan = Plan(seconds=args.seconds)
    started = time.time()
    series = []
    if args.what in ("all", "pin", "ceilings", "native", "postgres"):
        series += scenarios.ceilings(plan)
    if args.what in ("all", "pin"):
        sqlite_url = f"sqlite+aiosqlite:///{plan.workdir / 'chatpins.db'}"
        series += scenarios.chatpins_feishu(
            plan, sqlite_url, "chatpins Feishu pin create (SQLite)", with_list=args.what == "all"
        )
        series += scenarios.chatpins_imkit(plan, sqlite_url)
        if args.what == "all":
            from bench import zim

            series += zim.chatpins_zim(plan, sqlite_url)
        if args.what == "all":
            from bench import native

            series += native.chatpins_native(plan, sqlite_url)
        series += _postgres_series(plan, args)
    if args.what == "native":
        from bench import native

        sqlite_url = f"sqlite+aiosqlite:///{plan.workdir / 'chatpins.db'}"
        series += scenarios.chatpins_feishu(
            plan, sqlite_url, "chatpins Feishu pin create (SQLite)", with_list=False
        )
        series += native.chatpins_native(plan, sqlite_url)
    if args.what == "postgres":
        sqlite_url = f"sqlite+aiosqlite:///{plan.workdir / 'chatpins.db'}"
        series += scenarios.chatpins_feishu(
            plan, sqlite_url, "chatpins Feishu pin create (SQLite)", with_list=False
        )
        series += _postgres_series(plan, args)
    if args.what in ("all", "synapse"):
        from bench import synapse

        series.append(synapse.pin_throughput(plan))
    if args.what in ("all", "events"):
        from bench import events

        series += events.event_stream(plan, f"sqlite+aiosqlite:///{plan.workdir / 'events.db'}")
    result = {
        "what": args.what,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": round(time.time() - started, 1),
        "plan": {"seconds": plan.seconds, "warmup_seconds": plan.warmup_seconds,
                 "concurrency": list(plan.concurrency)},
        "machine": machine(),
        "series": [s.as_dict() for s in series],
    }  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    if args.what == "events":
        result = _merge_events(result, RESULTS / "latest.json")
    # ``native`` and ``postgres`` are partial runs: each its own file, its ratio tables printed,
    # the full run's figures left alone.
    partial = args.what in ("native", "postgres")
    out = RESULTS / (f"{args.what}.json" if partial else "latest.json")
    out.write_text(json.dumps(result, indent=2))
    if partial:
        from bench import report

        for subject, baselines in report.TARGETS:
            table = report.ratio_table(result, subject, baselines)
            if table and subject != "feishu_pin_create":
                print(f"\n{subject}\n{table}")
        print(report.postgres_targets(result))
    if result["what"] == "all":
        from bench import report

        report.write_docs(result, Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md")
    for s in series:
        for r in s.runs:
            print(f"{s.name:55s} c={r.concurrency:<3d} {r.rps:9.1f} req/s  p50 {r.p50_ms:7.2f} ms"
                  f"  p99 {r.p99_ms:7.2f} ms  errors {r.errors}  cpu ms/req "
                  f"{r.cpu_ms_per_request}")  # fmt: skip
        if s.target in EVENT_TARGETS:
            print(f"{s.name:55s} {json.dumps(s.extra)}")


EVENT_TARGETS = ("events_fanout", "events_idle_rss")


def _postgres_series(plan: Plan, args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    """Pins spread over many chats on SQLite and, given a database, every PostgreSQL run."""
    from bench import postgres

    spread_url = f"sqlite+aiosqlite:///{plan.workdir / 'spread.db'}"
    series = [
        postgres.pin_create_spread(
            plan, spread_url, f"chatpins Feishu pin create, {postgres.CHATS:,} chats (SQLite)",
            "feishu_pin_create_spread",
        )
    ]  # fmt: skip
    if args.postgres_url:
        series += postgres.chatpins_postgres(plan, args.postgres_url, args.pgbouncer_url)
        series += postgres.two_instances(plan, args.postgres_url, args.redis_url)
    return series


def _merge_events(result: dict, latest: Path) -> dict:
    """The event series of this run in place of those in ``latest`` (the rest kept as is)."""
    if not latest.exists():
        return result
    base = json.loads(latest.read_text())
    base["series"] = [s for s in base["series"] if s["target"] not in EVENT_TARGETS] + [
        s for s in result["series"] if s["target"] in EVENT_TARGETS
    ]
    # Files from before "what" was recorded: only `all` measures both of these.
    targets = {s["target"] for s in base["series"]}
    full = {"feishu_pin_list", "synapse_pin"} <= targets
    base.setdefault("what", "all" if full else "unknown")
    base["events_run"] = {k: result[k] for k in ("started", "elapsed_s", "machine")}
    return base


if __name__ == "__main__":
    main()
