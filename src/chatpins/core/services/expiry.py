"""Time-driven pin changes: start the scheduled pins whose time has come, remove the pins (and
conversation pins) whose time is up.

Reads already treat such pins as gone (``Pin.in_force``); sweeping writes what the change
owes — the history row ``expired`` and the ``pin.deleted`` event — once, whichever process
gets there first. Each chat is swept in its own transaction under the chat's row lock (the
lock pin and unpin take), and the due pins are read again under it: several instances
sweeping at once, or a pin call that expires the same pin inline, remove each pin once.
A user's conversation pins are swept the same way under the user's lock, each with its
``conversation.changed`` event (``change: "expired"``).
"""

from __future__ import annotations

from chatpins.core.context import SYSTEM_DIALECT, Actor, Deps
from chatpins.core.entities import App, AppClock, User
from chatpins.core.ports import SweepScope
from chatpins.core.services import conversations, pin_changes, scheduled_pins

SWEEP_CHATS = 100  # chats per round; a round that fills it runs again at once


async def sweep_expired(deps: Deps) -> int:
    """Start every scheduled pin whose time has come, expire every pin and conversation pin
    whose time is up (at most ``SWEEP_CHATS`` chats and users of each kind, per app whose clock
    a test moved and for all other apps together); how many."""
    real = deps.clock.now_ms()
    moved: dict[str, AppClock] = {}
    if deps.app_clocks:
        async with deps.uow() as uow:
            moved = await uow.apps.moved_clocks()
    # An app whose clock a test moved is swept at its own time, the others at the real time.
    swept = await _sweep(deps, real, SweepScope(skip_apps=frozenset(moved)))
    for app_id, clock in moved.items():
        swept += await _sweep(deps, clock.read(real), SweepScope(only_app=app_id))
    return swept


async def _sweep(deps: Deps, now: int, scope: SweepScope) -> int:
    async with deps.uow() as uow:
        starting = await uow.pins.chats_to_start(now, SWEEP_CHATS, scope)
        due = await uow.pins.due_chats(now, SWEEP_CHATS, scope)
        due_users = await uow.conversation_pins.due_users(now, SWEEP_CHATS, scope)
    expired = 0
    # Starts first: a pin that both started and ended while nobody swept shows both.
    for app_id, chat_id in starting:
        expired += await _in_chat(deps, app_id, chat_id, now, starting=True)
    for app_id, chat_id in due:
        expired += await _in_chat(deps, app_id, chat_id, now, starting=False)
    for app_id, user_id in due_users:
        expired += await _sweep_user(deps, app_id, user_id, now)
    return expired


def _system(app: App) -> Actor:
    """The app's own clock acting: no person, the history's actor is null."""
    bot = User(app.id, app.bot_user_id, "", True, 0, "", "")
    return Actor(app, bot, SYSTEM_DIALECT, is_platform=True, is_system=True)


async def _in_chat(deps: Deps, app_id: str, chat_id: str, now: int, *, starting: bool) -> int:
    """Start (or expire) the chat's due pins, read again under the chat's row lock."""
    async with deps.uow(write=True) as uow:
        chat = await uow.chats.get(app_id, chat_id, for_update=True)
        app = await uow.apps.get(app_id)
        if chat is None or app is None:
            return 0
        system = _system(app)
        if starting:
            due = await uow.pins.scheduled_in_chat(app_id, chat_id, due_by=now)
            for pin in due:
                await scheduled_pins.start_within(uow, system, chat, pin, now)
        else:
            due = await uow.pins.due_in_chat(app_id, chat_id, now)
            for pin in due:
                await pin_changes.expire_within(uow, system, chat, pin, now)
        return len(due)


async def _sweep_user(deps: Deps, app_id: str, user_id: str, now: int) -> int:
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None or not await uow.conversation_pins.lock_owner(app_id, user_id):
            return 0
        return await conversations.expire_due_within(uow, _system(app), user_id, now)
