"""Reading the event outbox: every change's event, in ``seq`` order, resumable from a cursor."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatpins.core.context import Deps
from chatpins.core.entities import Event
from chatpins.core.errors import InvalidArgument, NotFound
from chatpins.core.events import CHAT_CREATED, MEMBER_ADDED, MEMBER_REMOVED

MAX_PAGE = 1000


async def events_after(deps: Deps, app_id: str, after: int = 0, limit: int = 100) -> list[Event]:
    """The app's events with ``seq`` > ``after``, oldest first; a client resumes from the last
    ``seq`` it saw and misses nothing (events commit in ``seq`` order)."""
    if after < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument("invalid_cursor", f"after >= 0, limit 1-{MAX_PAGE}")
    async with deps.uow() as uow:
        if await uow.apps.get(app_id) is None:
            raise NotFound("app_not_found", app_id)
        return await uow.events.after(app_id, after, limit)


async def head(deps: Deps, app_id: str) -> int:
    """The app's newest ``seq``."""
    async with deps.uow() as uow:
        return await uow.events.head(app_id)


@dataclass
class Viewer:
    """Who reads a stream, and so which events it may see.

    The app (``user_id`` None) sees all of its events. A user sees the events of the chats it
    is a member of when they are delivered, and those addressed to it (its conversation list).
    Membership starts as it is when the stream opens and follows the member events the stream
    carries, so a user sees its own ``member.added`` and ``member.removed`` and nothing of a
    chat after leaving it.
    """

    user_id: str | None = None
    chats: set[str] = field(default_factory=set)

    def sees(self, event: Event) -> bool:
        if self.user_id is None:
            return True
        kind, _, target = event.audience.partition(":")
        if kind == "user":
            return target == self.user_id
        if kind != "chat":
            return False
        mine = self.user_id in event.payload.get("user_ids", ()) or self.user_id in (
            event.payload.get("members") or ()
        )
        if event.type in (MEMBER_ADDED, CHAT_CREATED) and mine:
            self.chats.add(target)
        visible = target in self.chats
        if event.type == MEMBER_REMOVED and mine:
            self.chats.discard(target)
        return visible


async def viewer_for(deps: Deps, app_id: str, user_id: str | None) -> Viewer:
    if user_id is None:
        return Viewer()
    async with deps.uow() as uow:
        return Viewer(user_id, await uow.members.chat_ids_of(app_id, user_id))


async def event(deps: Deps, app_id: str, seq: int) -> Event:
    async with deps.uow() as uow:
        found = await uow.events.get(app_id, seq)
    if found is None:
        raise NotFound("event_not_found", f"{app_id}/{seq}")
    return found
