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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from chatpins.api.provisioning import is_admin_key
from chatpins.core.context import Deps
from chatpins.core.errors import ChatpinsError, InvalidArgument, Unauthenticated
from chatpins.core.events import CHAT_CREATED, MEMBER_ADDED, MEMBER_REMOVED
from chatpins.core.services import apps, outbox, tokens
from chatpins.delivery.frames import FORMATS, frame_text
from chatpins.delivery.hub import LAGGING, EventHub, StreamEvent, Subscription

log = structlog.get_logger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_LAGGING = 4008
CATCH_UP_PAGE = 500


@dataclass(frozen=True)
class Reader:
    app_id: str
    user_id: str | None  # None: the app itself


async def resolve_reader(websocket: WebSocket, deps: Deps) -> Reader:
    header = websocket.headers.get("authorization", "")
    credential = header.removeprefix("Bearer ").strip() or websocket.query_params.get(
        "access_token", ""
    )
    if not credential:
        raise Unauthenticated("missing_credentials")
    if await is_admin_key(websocket.app.state, credential):
        app_ref = websocket.query_params.get("app_id")
        if not app_ref:
            raise InvalidArgument("app_id_required", "the admin key reads one app: ?app_id=")
        return Reader((await apps.get_app(deps, app_ref)).id, None)
    for dialect in ("feishu", "imkit"):
        with contextlib.suppress(Unauthenticated):
            identity = await tokens.authenticate(deps, credential, dialect)
            if identity.token.kind == "user":
                return Reader(identity.app.id, identity.user.id)
            return Reader(identity.app.id, None)
    app = await apps.find_app_by_credential(deps, "imkit_api_key", credential)
    if app is None:
        raise Unauthenticated("unknown_credentials")
    return Reader(app.id, None)


async def viewer_at(deps: Deps, reader: Reader, cursor: int) -> outbox.Viewer:
    """The reader's viewer as it was at ``cursor``, so a resumed user stream shows what an
    unbroken one would have: the chats the user was in then, not the ones it is in now.

    Membership is read now, then wound back: for each chat, the user's first membership
    event after ``cursor`` says what it was before (added or created with it: not a member;
    removed: a member); chats without one have not changed since. Reading the members before
    the events makes this hold for changes committed in between too.
    """
    viewer = await outbox.viewer_for(deps, reader.app_id, reader.user_id)
    if viewer.user_id is None:
        return viewer
    settled: set[str] = set()
    while True:
        page = await outbox.events_after(deps, reader.app_id, cursor, outbox.MAX_PAGE)
        for event in page:
            kind, _, chat_id = event.audience.partition(":")
            if kind != "chat" or chat_id in settled:
                continue
            if event.type not in (MEMBER_ADDED, MEMBER_REMOVED, CHAT_CREATED):
                continue
            payload = event.payload
            if viewer.user_id in payload.get("user_ids", ()) or viewer.user_id in (
                payload.get("members") or ()
            ):
                settled.add(chat_id)
                if event.type == MEMBER_REMOVED:
                    viewer.chats.add(chat_id)
                else:
                    viewer.chats.discard(chat_id)
        if len(page) < outbox.MAX_PAGE:
            return viewer
        cursor = page[-1].seq


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidArgument("invalid_cursor", "after must be a seq (an integer >= 0)")
    return int(value)


class EventStream:
    """One connection: catch up from the outbox, then relay the hub's live events."""

    def __init__(
        self,
        websocket: WebSocket,
        deps: Deps,
        viewer: outbox.Viewer,
        format_: str,
        heartbeat_seconds: float,
    ) -> None:
        self._ws = websocket
        self._deps = deps
        self._viewer = viewer
        self._format = format_
        self._heartbeat = heartbeat_seconds
        self._send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        async with self._send_lock:
            await self._ws.send_text(text)

    async def _deliver(self, item: StreamEvent) -> None:
        if self._viewer.sees(item.event):
            await self.send(frame_text(item, self._format))

    async def catch_up(self, app_id: str, cursor: int) -> int:
        while True:
            page = await outbox.events_after(self._deps, app_id, cursor, CATCH_UP_PAGE)
            for event in page:
                await self._deliver(StreamEvent.of(app_id, event))
                cursor = event.seq
            if len(page) < CATCH_UP_PAGE:
                return cursor

    async def pump(self, subscription: Subscription, cursor: int) -> None:
        cursor = await self.catch_up(subscription.app_id, cursor)
        while True:
            try:
                item = await asyncio.wait_for(subscription.queue.get(), self._heartbeat)
            except TimeoutError:
                await self.send({"type": "heartbeat", "seq": cursor})
                continue
            if item is LAGGING:
                reason = f"too slow: resume with after={cursor}"
                await self._ws.close(CLOSE_LAGGING, reason)
                return
            assert isinstance(item, StreamEvent)
            seq = item.event.seq
            if seq <= cursor:
                continue  # already sent while catching up
            if seq != cursor + 1:  # never expected (seqs are gapless); re-read to be sure
                cursor = await self.catch_up(subscription.app_id, cursor)
                if seq <= cursor:
                    continue
            await self._deliver(item)
            cursor = seq

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
            raise InvalidArgument("unknown_format", f"format is one of {', '.join(FORMATS)}")
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
        viewer = await viewer_at(deps, reader, cursor)
        heartbeat = state.settings.ws_heartbeat_seconds
        stream = EventStream(websocket, deps, viewer, format_, heartbeat)
        await stream.send(
            {
                "type": "hello",
                "app_id": reader.app_id,
                "user_id": reader.user_id,
                "after": cursor,
                "head": head,
                "heartbeat_seconds": heartbeat,
            }
        )
        pump = asyncio.create_task(stream.pump(subscription, cursor))
        listen = asyncio.create_task(stream.listen())
        try:
            await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, listen):
                task.cancel()
            for task in (pump, listen):
                try:
                    await task
                except (asyncio.CancelledError, WebSocketDisconnect, OSError, RuntimeError):
                    pass  # the client went away mid-send, or we closed
                except Exception:
                    log.exception("event_stream_failed", app_id=reader.app_id)
