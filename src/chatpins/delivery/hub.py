"""Live fan-out of the outbox inside one process.

One feed per app with subscribers reads each new event from the database once and hands the
same object to every subscriber's bounded queue; the frames sent on the wire are rendered once
per event and format, not once per subscriber. A subscriber first catches up from the database
(``catch_up``), then drains its queue, skipping what it already has: the queue receives every
event newer than the feed's head at the moment it joined, and catching up covers at least that
head, so nothing falls between the two.

A subscriber whose queue is full has its queue emptied and gets ``LAGGING``: it has missed
events and must read them from the database again (or, if it is a client that reads too slowly,
be closed and resume from its last seq). No subscriber ever waits for another, and memory per
subscriber is bounded by its queue size.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from chatpins.core.context import Deps
from chatpins.core.entities import Event
from chatpins.core.events import event_id
from chatpins.core.services import outbox

log = structlog.get_logger(__name__)

PAGE = 500
WEBSOCKET = "websocket"

# Told (channel, outcome, the event's time in ms) of each event handed to a subscriber, or
# lost on the way ("failed"): metrics count deliveries and their lag (api/metrics.py).
DeliveryObserver = Callable[[str, str, int], None]


@dataclass(eq=False)
class StreamEvent:
    """An outbox event as it travels to subscribers, with its frames rendered once."""

    app_id: str
    event: Event
    id: str
    frames: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, app_id: str, event: Event) -> StreamEvent:
        return cls(app_id, event, event_id(app_id, event.seq))

    def frame(self, format_: str, render: Callable[[StreamEvent], Any]) -> Any:
        if format_ not in self.frames:
            self.frames[format_] = render(self)
        return self.frames[format_]


LAGGING = object()  # queued for a subscriber that fell too far behind


@dataclass(eq=False)
class Subscription:
    app_id: str
    queue: asyncio.Queue[StreamEvent | object]

    def offer(self, item: StreamEvent) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(LAGGING)


@dataclass(eq=False)
class _Feed:
    app_id: str
    head: int = 0
    subscribers: set[Subscription] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class EventHub:
    def __init__(self, deps: Deps, *, queue_size: int = 4096, poll_seconds: float = 1.0) -> None:
        self._deps = deps
        self._queue_size = queue_size
        # Commits made by another process (a CLI, another instance without Redis) are found
        # by polling; this process's own commits wake the feed at once.
        self._poll_seconds = poll_seconds
        self._feeds: dict[str, _Feed] = {}
        self.on_delivered: DeliveryObserver | None = None

    def delivered(self, event: Event, outcome: str) -> None:
        """A stream sent ``event`` to its client ("delivered") or lost it mid-send ("failed")."""
        if self.on_delivered is not None:
            self.on_delivered(WEBSOCKET, outcome, event.created_at)

    def committed(self, app_id: str, seq: int) -> None:
        """A notifier's listener: events up to ``seq`` are committed for ``app_id``."""
        feed = self._feeds.get(app_id)
        if feed is not None and seq > feed.head:
            feed.wake.set()

    @contextlib.asynccontextmanager
    async def subscribe(self, app_id: str) -> AsyncIterator[Subscription]:
        feed = self._feeds.get(app_id)
        if feed is None:
            feed = self._feeds[app_id] = _Feed(app_id)
            feed.task = asyncio.create_task(self._run(feed))
        await feed.ready.wait()
        subscription = Subscription(app_id, asyncio.Queue(self._queue_size))
        feed.subscribers.add(subscription)
        try:
            yield subscription
        finally:
            feed.subscribers.discard(subscription)
            if not feed.subscribers and self._feeds.get(app_id) is feed:
                del self._feeds[app_id]
                if feed.task is not None:
                    feed.task.cancel()

    async def _run(self, feed: _Feed) -> None:
        try:
            feed.head = await outbox.head(self._deps, feed.app_id)
        finally:
            feed.ready.set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(feed.wake.wait(), self._poll_seconds)
            feed.wake.clear()
            try:
                await self._read_new(feed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup: try again at the next wake or poll
                log.warning("event_feed_read_failed", app_id=feed.app_id, error=str(exc))

    async def _read_new(self, feed: _Feed) -> None:
        while True:
            page = await outbox.events_after(self._deps, feed.app_id, feed.head, PAGE)
            for event in page:
                item = StreamEvent.of(feed.app_id, event)
                feed.head = event.seq
                for subscription in feed.subscribers:
                    subscription.offer(item)
            if len(page) < PAGE:
                return

    async def close(self) -> None:
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task

    @property
    def subscriber_count(self) -> int:
        return sum(len(f.subscribers) for f in self._feeds.values())
