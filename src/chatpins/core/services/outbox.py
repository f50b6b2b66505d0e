"""Reading the event outbox: every change's event, in ``seq`` order, resumable from a cursor."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatpins.core.context import Deps
from chatpins.core.entities import Event
from chatpins.core.errors import InvalidArgument, NotFound, Reason
from chatpins.core.events import EventType

MAX_PAGE = 1000


async def events_after(deps: Deps, app_id: str, after: int = 0, limit: int = 100) -> list[Event]:
    """The app's events with ``seq`` > ``after``, oldest first; a client resumes from the last
    ``seq`` it saw and misses nothing (events commit in ``seq`` order)."""
    if after < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(Reason.INVALID_CURSOR, f"after >= 0, limit 1-{MAX_PAGE}")
    async with deps.uow() as uow:
        if await uow.apps.get(app_id) is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        return await uow.events.after(app_id, after, limit)


async def head(deps: Deps, app_id: str) -> int:
    """The app's newest ``seq``."""
    async with deps.uow() as uow:
        return await uow.events.head(app_id)


@dataclass
class Viewer:
    """Who reads a stream, and so which events it may see.

    The app (``user_id`` None) sees all of its events. A user sees the events of the chats it
    is a member of when they happen, and those addressed to it (its conversation list).
    Membership follows the member events as the stream goes, so a user sees its own
    ``member.added`` and ``member.removed`` and nothing of a chat after leaving it.
    """

    user_id: str | None = None
    chats: set[str] = field(default_factory=set)

    def concerns_me(self, event: Event) -> bool:
        """Whether a membership event is about this user."""
        if event.type not in _MEMBERSHIP:
            return False
        payload = event.payload
        return self.user_id in payload.get("user_ids", ()) or self.user_id in (
            payload.get("members") or ()
        )

    def sees(self, event: Event) -> bool:
        if self.user_id is None:
            return True
        kind, _, target = event.audience.partition(":")
        if kind == "user":
            return target == self.user_id
        if kind != "chat":
            return False
        mine = self.concerns_me(event)
        if mine and event.type != EventType.MEMBER_REMOVED:
            self.chats.add(target)
        visible = target in self.chats
        if mine and event.type == EventType.MEMBER_REMOVED:
            self.chats.discard(target)
        return visible


_MEMBERSHIP = (EventType.MEMBER_ADDED, EventType.MEMBER_REMOVED, EventType.CHAT_CREATED)


async def viewer_at(deps: Deps, app_id: str, user_id: str | None, cursor: int) -> Viewer:
    """The reader's viewer as it was just after ``cursor``, so a resumed user stream shows
    what an unbroken one would have: the chats the user was in then, not the ones it is in now.

    Membership is read now, then wound back: for each chat, the user's first membership event
    after ``cursor`` says what it was before (added or created with it: not a member; removed:
    a member); chats without one have not changed since. Reading the members before the events
    makes this hold for changes committed in between too. (For a user stream this reads the
    events after ``cursor`` once more; app streams skip it.)
    """
    if user_id is None:
        return Viewer()
    async with deps.uow() as uow:
        viewer = Viewer(user_id, await uow.members.chat_ids_of(app_id, user_id))
    settled: set[str] = set()
    while True:
        page = await events_after(deps, app_id, cursor, MAX_PAGE)
        for event in page:
            kind, _, chat_id = event.audience.partition(":")
            if kind != "chat" or chat_id in settled or not viewer.concerns_me(event):
                continue
            settled.add(chat_id)
            if event.type == EventType.MEMBER_REMOVED:
                viewer.chats.add(chat_id)
            else:
                viewer.chats.discard(chat_id)
        if len(page) < MAX_PAGE:
            return viewer
        cursor = page[-1].seq


async def event(deps: Deps, app_id: str, seq: int) -> Event:
    async with deps.uow() as uow:
        found = await uow.events.get(app_id, seq)
    if found is None:
        raise NotFound(Reason.EVENT_NOT_FOUND, f"{app_id}/{seq}")
    return found
