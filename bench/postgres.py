"""Pin create on PostgreSQL, the production path: one hot chat against pins spread over 1,000
chats (the common case), direct and through PgBouncer, and two instances sharing one database.

The spread workload also runs on SQLite, so the two databases stand side by side. Every run
records the server's CPU time per request from ``/proc``, which stays meaningful when a shared
machine cannot give each process a core of its own.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bench import processes, seed
from bench.loader import LoadResult, start_wrk, wrk_result
from bench.scenarios import (
    ADMIN_KEY,
    FeishuApp,
    Plan,
    Series,
    _pin_bodies,
    feishu_app,
    feishu_pin_create,
    load,
)

CHATS = 1000


def spread_chats(fa: FeishuApp) -> list[str]:
    """``CHATS`` new group chats of the app, made through its Feishu API."""
    with httpx.Client(base_url=fa.base_url, headers=fa.headers, timeout=30) as client:
        return [
            client.post("/open-apis/im/v1/chats", json={"name": f"spread {i}"}).json()["data"][
                "chat_id"
            ]
            for i in range(CHATS)
        ]


def spread_requests(plan: Plan, fa: FeishuApp, chat_ids: list[str]):  # type: ignore[no-untyped-def]
    def requests(n: int) -> Path:
        ids = seed.insert_spread_messages(
            fa.database_url, fa.app["id"], chat_ids, fa.app["feishu"]["app_id"], n
        )
        return _pin_bodies(plan, ids)

    return requests


def pin_create_spread(
    plan: Plan, database_url: str, label: str, target: str, server_env: dict[str, str] | None = None
) -> Series:
    """New pins, each into one of ``CHATS`` chats drawn at random, on one instance."""
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY, env=server_env) as server:
        fa = feishu_app(base, database_url)
        requests = spread_requests(plan, fa, spread_chats(fa))
        return load(plan, label, target, base, requests, fa.headers, server=server)


def chatpins_postgres(plan: Plan, database_url: str, pgbouncer_url: str | None) -> list[Series]:
    """Hot chat and spread on one instance; the hot chat again through PgBouncer."""
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY) as server:
        hot = feishu_pin_create(
            plan, feishu_app(base, database_url), "chatpins Feishu pin create (PostgreSQL)", server
        )
        hot.target = "feishu_pin_create_postgres"
    series = [
        hot,
        pin_create_spread(
            plan, database_url, f"chatpins Feishu pin create, {CHATS:,} chats (PostgreSQL)",
            "feishu_pin_create_spread_postgres",
        ),
    ]  # fmt: skip
    if pgbouncer_url:
        port = processes.free_port()
        base = f"http://127.0.0.1:{port}"
        with processes.chatpins(port, pgbouncer_url, ADMIN_KEY) as server:
            bounced = feishu_pin_create(
                plan, feishu_app(base, pgbouncer_url),
                "chatpins Feishu pin create (PostgreSQL via PgBouncer)", server,
            )  # fmt: skip
        bounced.target = "feishu_pin_create_pgbouncer"
        series.append(bounced)
    return series


def two_instances(plan: Plan, database_url: str, redis_url: str | None) -> list[Series]:
    """Two instances on one database (and Redis, when given), each pinned to a core of its own,
    loaded at once by one wrk each with half the connections: the hot chat, then spread."""
    env = {"CHATPINS_REDIS_URL": redis_url} if redis_url else None
    ports = [processes.free_port(), processes.free_port()]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    with (
        processes.chatpins(ports[0], database_url, ADMIN_KEY, cpu="0", env=env) as a,
        processes.chatpins(ports[1], database_url, ADMIN_KEY, cpu="1", env=env) as b,
    ):
        fa = feishu_app(bases[0], database_url)
        hot = _load_pair(
            plan, "chatpins Feishu pin create, 2 instances (PostgreSQL)",
            "feishu_pin_create_postgres_2x", fa, bases, [a, b],
            spread_requests(plan, fa, [fa.chat_id]),
        )  # fmt: skip
        spread = _load_pair(
            plan, f"chatpins Feishu pin create, {CHATS:,} chats, 2 instances (PostgreSQL)",
            "feishu_pin_create_spread_postgres_2x", fa, bases, [a, b],
            spread_requests(plan, fa, spread_chats(fa)),
        )  # fmt: skip
    return [hot, spread]


def _load_pair(plan, name, target, fa, bases, servers, make_requests) -> Series:  # type: ignore[no-untyped-def]
    """Like ``scenarios.load`` over two instances at once. Throughput and errors are the sum;
    the percentiles are the worse of the two loaders' (wrk reports no histogram to merge)."""
    series = Series(name, target)
    for concurrency in plan.concurrency:
        if concurrency < 2:
            continue
        per = concurrency // 2
        if plan.warmup_seconds:
            _run_pair(plan.warmup_seconds, bases, make_requests, fa, per)
        before = [s.cpu_seconds() for s in servers]
        results = _run_pair(plan.seconds, bases, make_requests, fa, per)
        spent = [s.cpu_seconds() - b for s, b in zip(servers, before, strict=True)]
        seconds = max(r.seconds for r in results)
        total = sum(r.requests for r in results)
        series.runs.append(
            LoadResult(
                concurrency=concurrency,
                requests=total,
                seconds=seconds,
                rps=round(sum(r.rps for r in results), 1),
                errors=sum(r.errors for r in results),
                p50_ms=max(r.p50_ms for r in results),
                p99_ms=max(r.p99_ms for r in results),
                p999_ms=max(r.p999_ms for r in results),
                cpu_ms_per_request=[
                    round(cpu * 1000 / r.requests, 3) if r.requests else 0.0
                    for cpu, r in zip(spent, results, strict=True)
                ],
            )
        )
    return series


def _run_pair(seconds, bases, make_requests, fa, per) -> list[LoadResult]:  # type: ignore[no-untyped-def]
    # No core is left for the loaders: they run wherever the scheduler puts them.
    runs = [
        start_wrk(base, make_requests(2000 * (seconds + 1)), concurrency=per, seconds=seconds,
                  headers=fa.headers, cpu=None)
        for base in bases
    ]  # fmt: skip
    return [wrk_result(run, per) for run in runs]
