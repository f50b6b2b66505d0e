"""Reading the event outbox: every change's event, in ``seq`` order, resumable from a cursor."""

from __future__ import annotations

from chatpins.core.context import Deps
from chatpins.core.entities import Event
from chatpins.core.errors import InvalidArgument, NotFound

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
