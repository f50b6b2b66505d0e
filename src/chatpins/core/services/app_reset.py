"""Emptying an app between tests: everything it holds goes, the app itself stays.

Kept: the app (credentials, settings) and its bot user with the bot's tokens, so every
credential a test suite holds keeps working. Gone: every other row of the app in every table,
in one transaction (``storage.app_rows`` derives the tables from the schema), and what this
process remembers of it: rate-limit windows, fault rules, recent identities. The app's clock
runs on the real time again, as a fresh app's does.

Event ``seq`` keeps growing across a reset: it comes from the app's event counter, which a reset
keeps, not from the events that remain, so a client resuming a stream never sees a seq used
twice.
A reset writes no event of its own (the outbox is emptied with the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core.context import Deps
from chatpins.core.entities import AppClock
from chatpins.core.errors import NotFound, Reason


@dataclass(frozen=True)
class ResetOutcome:
    app_id: str
    removed: dict[str, int]  # table -> rows deleted
    fault_rules: int  # fault rules of the app this process forgot


async def reset_app(deps: Deps, app_id: str) -> ResetOutcome:
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        removed = await uow.apps.empty(app.id, app.bot_user_id)
        await uow.apps.set_clock(app.id, AppClock())
    # Recent identities are forgotten by the unit of work on commit (users and tokens changed).
    await deps.limiter.forget(app.id)
    return ResetOutcome(app.id, removed, deps.faults.clear(app.id))
