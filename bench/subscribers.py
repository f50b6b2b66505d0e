"""The event-stream loader: many ``/v1/events/ws`` subscribers and one producer, in one asyncio
process that ``bench.events`` starts on the loader core (``python -m bench.subscribers CONFIG``).

It talks to its parent in JSON lines: it prints ``{"phase": "connected", ...}`` once every
subscriber has its ``hello``; for each ``produce RATE EVENTS`` read on stdin it posts EVENTS
messages at RATE per second, waits for their frames and prints ``{"phase": "done", ...}`` with
the latencies; on ``close`` (or end of input) it closes every connection.

A frame's latency is its receive time (``time.time_ns()``, taken as soon as ``recv`` returns,
before parsing) minus the event's ``created_at_ms`` (the server's clock, same machine).
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

OPEN_CONCURRENCY = 50  # handshakes in flight at once, so none times out behind the others
DELIVERY_DEADLINE_S = 30.0  # after the last event is committed


@dataclass
class Subscriber:
    ws: ClientConnection
    hello: dict[str, Any]
    # (receive time ms, created_at_ms, message_id) of every event frame.
    received: list[tuple[float, int, str]] = field(default_factory=list)
    other_frames: dict[str, int] = field(default_factory=dict)
    close_code: int | None = None

    async def read(self) -> None:
        try:
            while True:
                text = await self.ws.recv()
                now_ms = time.time_ns() / 1e6
                frame = json.loads(text)
                if frame["type"] == "event":
                    event = frame["event"]
                    message_id = event["payload"].get("message_id", "")
                    self.received.append((now_ms, event["created_at_ms"], message_id))
                else:
                    kind = frame["type"]
                    self.other_frames[kind] = self.other_frames.get(kind, 0) + 1
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None


async def open_all(config: dict[str, Any]) -> tuple[list[Subscriber], list[str]]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    headers = {"Authorization": f"Bearer {config['api_key']}"}

    async def open_one() -> Subscriber:
        async with gate:
            ws = await connect(
                config["ws_url"], additional_headers=headers, open_timeout=60,
                compression=None, max_queue=None,
            )  # fmt: skip
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if hello.get("type") != "hello":
                raise RuntimeError(f"expected hello, got {hello}")
            return Subscriber(ws, hello)

    done = await asyncio.gather(
        *(open_one() for _ in range(config["subscribers"])), return_exceptions=True
    )
    subscribers = [s for s in done if isinstance(s, Subscriber)]
    errors = [repr(e) for e in done if not isinstance(e, Subscriber)]
    return subscribers, errors


@dataclass
class Produced:
    ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0


async def produce(config: dict[str, Any], rate: float, events: int) -> Produced:
    """POST message ``i`` at ``i / rate`` s whether or not earlier replies are in (an open loop:
    a slow server does not slow the producer down and hide its own delay)."""
    body = {"room": config["room"], "sender": config["sender"], "messageType": "text"}
    out = Produced()
    started = time.monotonic()

    async def post(client: httpx.AsyncClient, i: int) -> None:
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        sent = time.monotonic()
        reply = await client.post("/messages", json={**body, "message": f"fan-out {i}"})
        out.post_ms.append((time.monotonic() - sent) * 1000)
        if reply.status_code == 200:
            out.ids.append(reply.json()["result"]["_id"])
        else:
            out.errors.append(f"{reply.status_code} {reply.text[:200]}")

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=config["base_url"], headers={"IM-API-KEY": config["api_key"]}, timeout=30,
        limits=limits,
    ) as client:  # fmt: skip
        await asyncio.gather(*(post(client, i) for i in range(events)))
    out.seconds = time.monotonic() - started
    return out


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank on a sorted list."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(subscribers: list[Subscriber], sent: list[str]) -> dict[str, Any]:
    wanted = set(sent)
    latencies: list[float] = []
    # Per event: the first subscriber's latency (commit, notice, one read: no fan-out yet)
    # and the last one's (the whole fan-out).
    first_by_event: dict[str, float] = {}
    last_by_event: dict[str, float] = {}
    missing = duplicates = unexpected = 0
    for sub in subscribers:
        seen: set[str] = set()
        for received_ms, created_ms, message_id in sub.received:
            if message_id not in wanted:
                unexpected += 1
                continue
            if message_id in seen:
                duplicates += 1
                continue
            seen.add(message_id)
            latency = received_ms - created_ms
            latencies.append(latency)
            last_by_event[message_id] = max(last_by_event.get(message_id, latency), latency)
            first_by_event[message_id] = min(first_by_event.get(message_id, latency), latency)
        missing += len(wanted - seen)
    latencies.sort()
    slowest = sorted(last_by_event.values())
    fastest = sorted(first_by_event.values())
    other: dict[str, int] = {}
    for sub in subscribers:
        for kind, n in sub.other_frames.items():
            other[kind] = other.get(kind, 0) + n
    closes: dict[str, int] = {}
    for sub in subscribers:
        if sub.close_code is not None:
            closes[str(sub.close_code)] = closes.get(str(sub.close_code), 0) + 1

    def ms(value: float) -> float:
        return round(value, 2)

    return {
        "frames_expected": len(subscribers) * len(sent),
        "frames_received": len(latencies),
        "frames_missing": missing,
        "frames_duplicated": duplicates,
        "frames_unexpected": unexpected,
        "other_frames": other,
        "closed_by_server": closes,
        "p50_ms": ms(percentile(latencies, 0.50)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "p999_ms": ms(percentile(latencies, 0.999)),
        "max_ms": ms(latencies[-1]) if latencies else None,
        "min_ms": ms(latencies[0]) if latencies else None,
        "first_subscriber_p50_ms": ms(percentile(fastest, 0.50)),
        "first_subscriber_p99_ms": ms(percentile(fastest, 0.99)),
        "last_subscriber_p50_ms": ms(percentile(slowest, 0.50)),
        "last_subscriber_p99_ms": ms(percentile(slowest, 0.99)),
    }


async def delivered(subscribers: list[Subscriber], count: int, deadline_s: float) -> None:
    """Wait until every subscriber holds ``count`` event frames (or gave up at the deadline)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if all(len(s.received) >= count or s.close_code is not None for s in subscribers):
            return
        await asyncio.sleep(0.05)


def say(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


async def command() -> str:
    return (await asyncio.to_thread(sys.stdin.readline)).strip()


async def main(config: dict[str, Any]) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 sockets and more
    started = time.monotonic()
    subscribers, open_errors = await open_all(config)
    say({"phase": "connected", "subscribers": len(subscribers), "errors": open_errors[:5],
         "failed": len(open_errors), "seconds": round(time.monotonic() - started, 2)})  # fmt: skip
    readers = [asyncio.create_task(s.read()) for s in subscribers]
    while (line := await command()).startswith("produce"):
        _, rate, events = line.split()
        say(await step(config, subscribers, float(rate), int(events)))
    for task in readers:
        task.cancel()
    await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)


async def step(
    config: dict[str, Any], subscribers: list[Subscriber], rate: float, events: int
) -> dict[str, Any]:
    for sub in subscribers:
        sub.received = []
    # The loader's own collector would stop every reader at once (a full collection over
    # 1,000 connections took 70-80 ms here) and add that to the server's figure: off while
    # measuring; what a step allocates is kept until the next.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.monotonic()
        produced = await produce(config, rate, events)
        await delivered(subscribers, len(produced.ids), DELIVERY_DEADLINE_S)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    finally:
        gc.enable()
        gc.unfreeze()
    post_ms = sorted(produced.post_ms)
    return {"phase": "done", "rate_per_s": rate, "events_sent": len(produced.ids),
            "send_failed": len(produced.errors), "send_errors": produced.errors[:5],
            "produced_per_s": round(len(post_ms) / produced.seconds, 1),
            "post_p50_ms": round(percentile(post_ms, 0.5), 2),
            "post_p99_ms": round(percentile(post_ms, 0.99), 2), "seconds": round(wall, 2),
            "loader_cpu_share": round(cpu / wall, 2),
            **summary(subscribers, produced.ids)}  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
