"""``/v1/events/ws``: the app's events live over a WebSocket, resumable from a ``seq``.

Credentials, as ``Authorization: Bearer <credential>`` or ``?access_token=<credential>``
(browsers cannot set headers on a WebSocket):

- the server's admin key with ``?app_id=``, the app's Feishu tenant access token or its IMKit
  API key: the app's whole stream;
- a user's token (Feishu user access token or IMKit token): that user's view — the events of
  the chats it is in and of its own conversation list; resumed, it shows what an unbroken
  stream would have (the chats the user was in at ``after``, not the ones it is in now).

``?after=<seq>`` resumes after the last event the client has (0: from the beginning; absent:
from now). ``?format=zim`` sends conversation pin changes as ZIM's ``conversationChanged``.

Frames (JSON text) from the server: ``hello`` once, then ``event`` frames strictly in ``seq``
order, each once, and a ``heartbeat`` (with the newest seq sent) whenever the stream has been
quiet for the heartbeat interval. The client may send ``{"type": "ping"}`` and gets ``pong``.
Close codes: 4400 bad request, 4401 bad credentials, 4008 too slow (resume with ``after``),
1012 server restarting.

A stream lives no longer than its credential: it closes with 4401 when the token it was opened
with expires (``StreamKeeper``'s timer), when a ``token.revoked`` event names the token's user
and the token no longer works (every instance reads that event from the outbox), or when the
admin key or IMKit API key it was opened with no longer works (checked every
``ADMIN_KEY_CHECK_S``: rotating a key is a change no app's outbox carries).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from chatpins.api.stream_credentials import Credential, Reader, resolve_reader, still_works
from chatpins.core.context import Deps
from chatpins.core.errors import ChatpinsError, InvalidArgument, Reason, Unauthenticated
from chatpins.core.services import outbox, tokens
from chatpins.delivery.frames import FORMATS, frame_text
from chatpins.delivery.hub import LAGGING, EventHub, StreamEvent, Subscription

log = structlog.get_logger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_LAGGING = 4008
CLOSE_TIMEOUT_S = 2.0
CATCH_UP_PAGE = 500
ADMIN_KEY_CHECK_S = 5.0
MIN_WAIT_S = 0.01  # the keeper's shortest sleep (a token expiring now is ended, not waited for)


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidArgument(Reason.INVALID_CURSOR, "after must be a seq (an integer >= 0)")
    return int(value)


class SlowConsumer(Exception):
    """The client fell too far behind, or stopped reading."""


class CredentialEnded(Exception):
    """The stream's credential expired or was revoked: the reason is the close reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EventStream:
    """One connection: catch up from the outbox, then relay the hub's live events.

    Nothing here allocates per frame beyond the send itself (no timer or task per frame: at
    1,000 subscribers those dominated the garbage collector). Heartbeats and the send timeout
    are the ``StreamKeeper``'s, one timer for every stream of the process.
    """

    def __init__(
        self,
        websocket: WebSocket,
        deps: Deps,
        viewer: outbox.Viewer,
        format_: str,
        credential: Credential,
        hub: EventHub,
    ) -> None:
        self._ws = websocket
        self._hub = hub
        self._deps = deps
        self._viewer = viewer
        self._format = format_
        self.credential = credential
        self._send_lock = asyncio.Lock()
        self.cursor = 0
        self.last_sent = asyncio.get_running_loop().time()
        self.sending_since: float | None = None
        self.heartbeat_due = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.pump_task: asyncio.Task[None] | None = None

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        async with self._send_lock:
            loop = asyncio.get_running_loop()
            self.sending_since = loop.time()
            try:
                await self._ws.send_text(text)
            finally:
                self.sending_since = None
                self.last_sent = loop.time()

    async def heartbeat(self) -> None:
        try:
            await self.send({"type": "heartbeat", "seq": self.cursor})
        except Exception:  # the client went away: its pump or listener ends the stream
            pass
        finally:
            self.heartbeat_due = False

    def end(self, code: int, reason: str = "") -> None:
        """End the stream with a close ``code`` (the first one given wins)."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        if self.pump_task is not None:
            self.pump_task.cancel()

    def kick(self) -> None:
        """Stuck sending to a client that stopped reading: end the stream (4008)."""
        self.end(CLOSE_LAGGING)

    def seconds_left(self) -> float | None:
        """Until the credential expires (in real time); None if it never does."""
        expires_at = self.credential.expires_at
        if expires_at is None:
            return None
        return (expires_at - self._deps.clock.now_ms()) / 1000

    async def credential_works(self) -> bool:
        """Checked again from the database: the token is neither revoked nor expired, the
        admin key still the server's, the API key still its app's."""
        return await still_works(self.credential, self._deps, self._ws.app.state)

    async def _deliver(self, item: StreamEvent) -> None:
        left = self.seconds_left()
        if left is not None and left <= 0:  # the keeper ends it too; no frame goes out late
            raise CredentialEnded("expired_token")
        token = self.credential.token
        if (
            token is not None
            and tokens.may_revoke(item.event, token)
            and not await tokens.is_live(self._deps, token)
        ):
            raise CredentialEnded("revoked_token")
        if self._viewer.sees(item.event):
            try:
                await self.send(frame_text(item, self._format))
            except BaseException:  # the client left, or was dropped, mid-send
                self._hub.delivered(item.event, "failed")
                raise
            self._hub.delivered(item.event, "delivered")

    async def catch_up(self, app_id: str, cursor: int) -> int:
        while True:
            page = await outbox.events_after(self._deps, app_id, cursor, CATCH_UP_PAGE)
            for event in page:
                await self._deliver(StreamEvent.of(app_id, event))
                cursor = self.cursor = event.seq
            if len(page) < CATCH_UP_PAGE:
                return cursor

    async def pump(self, subscription: Subscription, cursor: int) -> None:
        """Catch up, then relay live events. The queue may overflow while a long catch-up
        runs; that is no fault of the client, so it catches up again. Once live, an overflow
        means the client reads too slowly: it is closed with 4008 and resumes."""
        self.cursor = await self.catch_up(subscription.app_id, cursor)
        live = False
        while True:
            item = await subscription.queue.get()
            if item is LAGGING:
                if live:
                    raise SlowConsumer
                self.cursor = await self.catch_up(subscription.app_id, self.cursor)
                continue
            assert isinstance(item, StreamEvent)
            seq = item.event.seq
            if seq <= self.cursor:
                continue  # already sent while catching up
            if seq != self.cursor + 1:  # never expected (seqs are gapless); re-read to be sure
                self.cursor = await self.catch_up(subscription.app_id, self.cursor)
                if seq <= self.cursor:
                    continue
            await self._deliver(item)
            self.cursor, live = seq, True

    async def listen(self) -> None:
        """The client's frames: pings. Returns when the client goes away."""
        while True:
            try:
                text = await self._ws.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            with contextlib.suppress(ValueError, AttributeError):
                if json.loads(text).get("type") == "ping":
                    await self.send({"type": "pong"})


class StreamKeeper:
    """One timer for every stream of the process: a heartbeat for each stream quiet for
    ``heartbeat_seconds``, an end (4008) for each stuck in one send for
    ``send_timeout_seconds``, and an end (4401) for each whose credential expired (the timer
    wakes for the soonest expiry) or, every ``ADMIN_KEY_CHECK_S``, whose admin key was rotated."""

    def __init__(self, heartbeat_seconds: float, send_timeout_seconds: float) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        self._send_timeout = send_timeout_seconds
        self._tick = max(0.05, min(heartbeat_seconds, send_timeout_seconds) / 4)
        self._streams: set[EventStream] = set()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._beats: set[asyncio.Task[None]] = set()
        self._admin_check: asyncio.Task[None] | None = None
        self._admin_check_due = 0.0

    @contextlib.contextmanager
    def keep(self, stream: EventStream) -> Iterator[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        self._streams.add(stream)
        if stream.credential.expires_at is not None:
            self._wake.set()  # it may expire before the timer's next tick
        try:
            yield
        finally:
            self._streams.discard(stream)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        wait = self._tick
        while self._streams:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()
            now, wait = loop.time(), self._tick
            for stream in self._streams:
                left = stream.seconds_left()
                if left is not None and left <= 0:
                    if stream.close_code is None:
                        stream.end(CLOSE_UNAUTHENTICATED, "expired_token")
                    continue
                if left is not None:
                    wait = min(wait, max(left, MIN_WAIT_S))
                if stream.sending_since is not None:
                    if (
                        now - stream.sending_since > self._send_timeout
                        and stream.close_code is None
                    ):
                        stream.kick()
                elif not stream.heartbeat_due and now - stream.last_sent >= self.heartbeat_seconds:
                    stream.heartbeat_due = True
                    beat = asyncio.create_task(stream.heartbeat())
                    self._beats.add(beat)
                    beat.add_done_callback(self._beats.discard)
            if now >= self._admin_check_due and (
                self._admin_check is None or self._admin_check.done()
            ):
                self._admin_check_due = now + ADMIN_KEY_CHECK_S
                admin = [s for s in self._streams if s.credential.is_key]
                if admin:
                    self._admin_check = asyncio.create_task(self._check_admin_keys(admin))

    @staticmethod
    async def _check_admin_keys(streams: list[EventStream]) -> None:
        """End the streams whose key no longer works (the admin key rotated, an app's API key
        rotated): one look per key."""
        works: dict[object, bool] = {}
        try:
            for stream in streams:
                key = stream.credential.admin_key or stream.credential.api_key
                if key not in works:
                    works[key] = await stream.credential_works()
                if not works[key]:
                    reason = (
                        "admin_key_rotated" if stream.credential.admin_key else "api_key_rotated"
                    )
                    stream.end(CLOSE_UNAUTHENTICATED, reason)
        except Exception as exc:  # a database hiccup: the next check tries again
            log.warning("admin_key_check_failed", error=type(exc).__name__)

    async def close(self) -> None:
        for task in (self._task, self._admin_check):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def event_stream(websocket: WebSocket) -> None:
    state = websocket.app.state
    deps: Deps = state.deps
    hub: EventHub = state.hub
    await websocket.accept()
    try:
        reader = await resolve_reader(websocket, deps)
        after = _cursor(websocket.query_params.get("after"))
        format_ = websocket.query_params.get("format", "native")
        if format_ not in FORMATS:
            raise InvalidArgument(Reason.UNKNOWN_FORMAT, f"format is one of {', '.join(FORMATS)}")
    except Unauthenticated as exc:
        await websocket.close(CLOSE_UNAUTHENTICATED, exc.reason)
        return
    except ChatpinsError as exc:
        await websocket.close(CLOSE_BAD_REQUEST, f"{exc.reason}: {exc.detail}"[:120])
        return
    async with hub.subscribe(reader.app_id) as subscription:
        head = await outbox.head(deps, reader.app_id)
        cursor = head if after is None else after
        if cursor > head:
            await websocket.close(CLOSE_BAD_REQUEST, f"after={cursor} is past the newest {head}")
            return
        viewer = await outbox.viewer_at(deps, reader.app_id, reader.user_id, cursor)
        keeper: StreamKeeper = state.stream_keeper
        stream = EventStream(websocket, deps, viewer, format_, reader.credential, hub)
        # A revocation committed before ``head`` was read is not in the stream: ask once more,
        # past the identity memory (another instance's revocation reaches it only in a second).
        if reader.credential.token is not None and not await stream.credential_works():
            await websocket.close(CLOSE_UNAUTHENTICATED, "revoked_token")
            return
        await stream.send(
            {
                "type": "hello",
                "app_id": reader.app_id,
                "user_id": reader.user_id,
                "after": cursor,
                "head": head,
                "heartbeat_seconds": keeper.heartbeat_seconds,
                "expires_at_ms": reader.credential.expires_at,
            }
        )
        with keeper.keep(stream):
            await _run(stream, subscription, cursor, reader)
        if stream.close_code is not None:
            reason = stream.close_reason
            if stream.close_code == CLOSE_LAGGING:
                reason = f"too slow: resume with after={stream.cursor}"
            with contextlib.suppress(TimeoutError, WebSocketDisconnect, OSError, RuntimeError):
                await asyncio.wait_for(websocket.close(stream.close_code, reason), CLOSE_TIMEOUT_S)


async def _run(
    stream: EventStream, subscription: Subscription, cursor: int, reader: Reader
) -> None:
    """Relay until the client goes away or the stream is ended (``stream.close_code``)."""
    pump = stream.pump_task = asyncio.create_task(stream.pump(subscription, cursor))
    listen = asyncio.create_task(stream.listen())
    try:
        await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pump, listen):
            task.cancel()
        for task in (pump, listen):
            try:
                await task
            except SlowConsumer:
                stream.end(CLOSE_LAGGING)
            except CredentialEnded as ended:
                stream.end(CLOSE_UNAUTHENTICATED, ended.reason)
            except (asyncio.CancelledError, WebSocketDisconnect, OSError, RuntimeError):
                pass  # the client went away mid-send, or we closed
            except Exception:
                log.exception("event_stream_failed", app_id=reader.app_id)
