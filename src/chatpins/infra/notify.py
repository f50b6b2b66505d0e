"""Wake-ups for live event streams: "app X has committed events up to seq N".

The outbox in the database is the truth; these notices only say when to read it, so a lost
notice delays an event (until the next poll) but never loses it.

- ``LocalNotifier``: one process. The unit of work announces each commit that wrote events.
- ``RedisNotifier``: several instances sharing one database. A commit is announced locally
  and published on Redis; every instance wakes its own streams from the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog

Listener = Callable[[str, int], None]
CHANNEL_PREFIX = "chatpins:events:"

log = structlog.get_logger(__name__)


class LocalNotifier:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def committed(self, app_id: str, seq: int) -> None:
        self.deliver(app_id, seq)

    def deliver(self, app_id: str, seq: int) -> None:
        for listener in self._listeners:
            listener(app_id, seq)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisNotifier(LocalNotifier):
    def __init__(self, url: str) -> None:
        super().__init__()
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # One retry: after a Redis restart the first publish meets a pooled connection the old
        # Redis closed, and must reconnect rather than lose that notice.
        self._redis = Redis.from_url(url, retry=Retry(NoBackoff(), 1))
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[object]] = set()

    def committed(self, app_id: str, seq: int) -> None:
        # Local streams wake now; the others when Redis relays the notice (ours comes back too
        # and is harmless: a stream already past ``seq`` ignores it).
        self.deliver(app_id, seq)
        task = asyncio.get_running_loop().create_task(self._publish(app_id, seq))
        self._pending.add(task)
        task.add_done_callback(self._published)

    async def _publish(self, app_id: str, seq: int) -> None:
        await self._redis.publish(CHANNEL_PREFIX + app_id, str(seq))

    def _published(self, task: asyncio.Task[object]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("event_notice_not_published", error=str(task.exception()))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._relay())

    async def _relay(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"].decode()
                        self.deliver(channel.removeprefix(CHANNEL_PREFIX), int(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: streams fall back to polling until it returns
                log.warning("event_notice_relay_down", error=str(exc))
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()
