"""A chat's pins as an ordered list: read in position order, reorder, edit a pin, read the
history of every change (through any dialect).

Reordering rewrites the moved pins only: the pins that keep their relative order (the longest
such run) keep their keys, the others get keys between their new neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatpins.core import policies, ranks
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Member, Message, Pin, PinAction, PinChange, PinRight
from chatpins.core.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, Reason
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import pin_changes
from chatpins.core.services import pins as pin_rules
from chatpins.core.services.pins import counts_within

MAX_HISTORY_PAGE = 200


@dataclass
class PinList:
    version: int
    pins: list[Pin]  # in position order, the top first
    acks: dict[int, int] = field(default_factory=dict)  # pin id -> acks of current members
    members: int = 0  # the chat's members now: what a must-read pin waits for


@dataclass(frozen=True)
class PinEdit:
    """The fields of a pin to change; ``None`` leaves one as it is."""

    note: str | None = None
    expires_at: int | None = None
    clear_expiry: bool = False  # remove the expiry (``expires_at`` must then be None)
    must_read: bool | None = None
    expected_version: int | None = None


async def list_in_order(deps: Deps, actor: Actor, chat_id: str) -> PinList:
    async with deps.uow() as uow:
        return await _in_order(uow, actor, chat_id, deps.now(actor.app))


async def list_with_messages(
    deps: Deps, actor: Actor, chat_id: str
) -> tuple[PinList, dict[str, Message]]:
    """The pins in order and their messages, read together (what a console shows)."""
    async with deps.uow() as uow:
        listed = await _in_order(uow, actor, chat_id, deps.now(actor.app))
        found = await uow.messages.get_many(actor.app_id, [p.message_id for p in listed.pins])
        return listed, {m.id: m for m in found}


async def _in_order(uow: UnitOfWork, actor: Actor, chat_id: str, now: int) -> PinList:
    chat, _member = await chat_for(uow, actor, chat_id)
    listed = await uow.pins.by_position(actor.app_id, chat.id, now=now)
    acks, members = await counts_within(uow, actor.app_id, chat.id, listed)
    return PinList(chat.pin_version, listed, acks, members)


async def scheduled(deps: Deps, actor: Actor, chat_id: str) -> tuple[PinList, list[int]]:
    """The chat's scheduled pins, not started yet, the earliest start first; and for each,
    where it would stand among the pins of now."""
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        chat, _member = await chat_for(uow, actor, chat_id)
        waiting = await uow.pins.scheduled_in_chat(actor.app_id, chat.id)
        positions = [await uow.pins.position_of(p, now) for p in waiting]
        _acks, members = await counts_within(uow, actor.app_id, chat.id, [])
        return PinList(chat.pin_version, waiting, {}, members), positions


async def reorder(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    message_ids: list[str],
    *,
    expected_version: int | None = None,
) -> PinList:
    """Put the chat's pins in the order given: exactly the current pins, each once."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await chat_for(uow, actor, chat_id, for_update=True)
        pin_rules.require_right(PinRight.REORDER, chat, member)
        pin_rules.require_version(chat, expected_version)
        current = await uow.pins.by_position(actor.app_id, chat.id, now=now)
        by_message = {p.message_id: p for p in current}
        if len(message_ids) != len(current) or set(message_ids) != set(by_message):
            raise InvalidArgument(
                Reason.INVALID_ORDER, "message_ids must list every current pin exactly once"
            )
        wanted = [by_message[m] for m in message_ids]
        moved = await _move(uow, wanted)
        if moved:
            await _record_reorder(uow, actor, chat, wanted, moved, now)
        acks, members = await counts_within(uow, actor.app_id, chat.id, wanted)
        return PinList(chat.pin_version, wanted, acks, members)


async def edit_pin(
    deps: Deps, actor: Actor, chat_id: str, message_id: str, edit: PinEdit
) -> pin_rules.PinOutcome:
    """Change a pin's note or expiry; the pin as changed, its position, the chat's pin
    version and the pin's must-read progress."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        message, chat, member = await pin_rules.load_for_pin_change(
            uow, actor, message_id, now, chat_id=chat_id
        )
        pin_rules.require_right(PinRight.EDIT, chat, member)
        pin_rules.require_version(chat, edit.expected_version)
        pin = await uow.pins.get_by_message(actor.app_id, message_id)
        if pin is None or not pin.in_force(now):
            raise NotFound(Reason.PIN_NOT_FOUND, message_id)
        if edit.expires_at is not None and edit.expires_at <= now:
            raise InvalidArgument(Reason.INVALID_EXPIRY, "expires_at must be in the future")
        if edit.note is not None:
            pin.note = edit.note
        if edit.expires_at is not None or edit.clear_expiry:
            pin.expires_at = edit.expires_at
        if edit.must_read is not None:
            pin.must_read = edit.must_read
        await uow.pins.update(pin)
        await pin_changes.record_change(
            uow,
            actor,
            chat,
            pin,
            now,
            PinAction.EDITED,
            "edited",
            EventType.PIN_UPDATED,
            note=pin.note,
            expires_at=pin.expires_at,
            must_read=pin.must_read,
        )
        position = await uow.pins.position_of(pin, now)
        edited = pin_rules.PinOutcome(pin, message, False, [], chat.pin_version, position)
        return await pin_rules.with_progress(uow, edited)


async def restore(deps: Deps, actor: Actor, chat_id: str, message_id: str) -> pin_rules.PinOutcome:
    """Pin again a message whose pin was removed, with its last note and must-read flag."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        await chat_for(uow, actor, chat_id, for_update=True)
        current = await uow.pins.get_by_message(actor.app_id, message_id)
        if current is not None and current.chat_id == chat_id and current.in_force(now):
            raise Conflict(Reason.ALREADY_PINNED, message_id)
        last = await uow.pins.last_removal(actor.app_id, chat_id, message_id)
        if last is None:
            raise NotFound(Reason.PIN_NOT_FOUND, message_id)
        options = pin_rules.PinOptions(
            note=last.note,
            must_read=last.must_read,
            chat_id=chat_id,
            action=PinAction.RESTORED,
        )
        outcome = await pin_rules.pin_within(uow, deps, actor, message_id, options, now)
        return await pin_rules.with_progress(uow, outcome)


async def ack(
    deps: Deps, actor: Actor, chat_id: str, message_id: str, user_id: str | None = None
) -> tuple[int, int]:
    """A member acknowledges a must-read pin (the platform names the member); the pin's
    (acks, members) afterwards. Acknowledging twice counts once."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, _member = await chat_for(uow, actor, chat_id, for_update=True)
        if not actor.is_platform and user_id not in (None, actor.user.id):
            raise PermissionDenied(Reason.PLATFORM_ONLY, "a user acknowledges for itself")
        acker = actor.user.id if not actor.is_platform else user_id
        if acker is None:
            raise InvalidArgument(Reason.USER_ID_REQUIRED, "the api key acks for a user_id")
        if await uow.members.get(actor.app_id, chat.id, acker) is None:
            raise PermissionDenied(Reason.NOT_CHAT_MEMBER, acker)
        pin = await _pin_of(uow, chat, message_id, now)
        if not pin.must_read:
            raise InvalidArgument(Reason.NOT_MUST_READ, message_id)
        if await uow.acks.add(pin, acker, now):
            await emit(
                uow,
                actor,
                now,
                EventType.PIN_ACKED,
                chat_audience(chat.id),
                chat_id=chat.id,
                message_id=message_id,
                user_id=acker,
            )
        return await _ack_count(uow, chat, pin)


@dataclass
class Acks:
    acked: list[tuple[str, int]]  # (member, time), earliest first
    pending: list[str]  # members who have not acknowledged


async def acks_of(deps: Deps, actor: Actor, chat_id: str, message_id: str) -> Acks:
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        chat, _member = await chat_for(uow, actor, chat_id)
        pin = await _pin_of(uow, chat, message_id, now)
        acked = await uow.acks.of_pin(pin)
        done = {user for user, _at in acked}
        members = await uow.members.list(actor.app_id, chat.id)
        return Acks(acked, [m.user_id for m in members if m.user_id not in done])


async def _ack_count(uow: UnitOfWork, chat: Chat, pin: Pin) -> tuple[int, int]:
    counts, members = await counts_within(uow, chat.app_id, chat.id, [pin])
    return counts.get(pin.id or 0, 0), members


async def _pin_of(uow: UnitOfWork, chat: Chat, message_id: str, now: int) -> Pin:
    pin = await uow.pins.get_by_message(chat.app_id, message_id)
    if pin is None or pin.chat_id != chat.id or not pin.in_force(now):
        raise NotFound(Reason.PIN_NOT_FOUND, message_id)
    return pin


async def history(
    deps: Deps, actor: Actor, chat_id: str, *, after: int = 0, limit: int = 50
) -> tuple[list[PinChange], int | None]:
    """The chat's pin changes oldest first, and the cursor of the next page (None: no more)."""
    if not 1 <= limit <= MAX_HISTORY_PAGE:
        raise InvalidArgument(Reason.INVALID_LIMIT, f"limit must be 1-{MAX_HISTORY_PAGE}")
    async with deps.uow() as uow:
        chat, _member = await chat_for(uow, actor, chat_id)
        rows = await uow.pins.history(actor.app_id, chat.id, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


async def latest_history(
    deps: Deps, actor: Actor, chat_id: str, *, limit: int = 50
) -> list[PinChange]:
    """The chat's newest pin changes, newest first (what a console shows)."""
    if not 1 <= limit <= MAX_HISTORY_PAGE:
        raise InvalidArgument(Reason.INVALID_LIMIT, f"limit must be 1-{MAX_HISTORY_PAGE}")
    async with deps.uow() as uow:
        chat, _member = await chat_for(uow, actor, chat_id)
        return await uow.pins.latest_history(actor.app_id, chat.id, limit=limit)


async def chat_for(
    uow: UnitOfWork, actor: Actor, chat_id: str, *, for_update: bool = False
) -> tuple[Chat, Member]:
    chat = await uow.chats.get(actor.app_id, chat_id, for_update=for_update)
    if chat is None:
        raise NotFound(Reason.CHAT_NOT_FOUND, chat_id)
    policies.require_live(chat)
    member = await policies.membership(uow, actor, chat)
    if member is None:
        raise PermissionDenied(Reason.NOT_CHAT_MEMBER)
    return chat, member


async def _move(uow: UnitOfWork, wanted: list[Pin]) -> list[Pin]:
    """Give new keys to the pins out of place in ``wanted``; the pins that moved."""
    moved: list[Pin] = []
    for index, key in sorted(ranks.rekey([p.rank for p in wanted]).items()):
        pin = wanted[index]
        pin.rank = key
        await uow.pins.move(pin, key)
        moved.append(pin)
    return moved


async def record_reorder_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, wanted: list[Pin], moved: list[Pin], now: int
) -> None:
    """``reorder``'s record of a new order, for a caller that moved the pins itself (declared
    state): one version, a history row per moved pin, one ``pin.reordered``."""
    await _record_reorder(uow, actor, chat, wanted, moved, now)


async def _record_reorder(
    uow: UnitOfWork, actor: Actor, chat: Chat, wanted: list[Pin], moved: list[Pin], now: int
) -> None:
    """One change of the list: one new version, a history row per moved pin, one event."""
    chat.pin_version = await uow.chats.bump_pin_version(actor.app_id, chat.id)
    for pin in moved:
        change = PinChange(
            chat.id,
            pin.message_id,
            PinAction.REORDERED,
            actor.actor_id,
            actor.dialect,
            now,
            "reordered",
            chat.pin_version,
            note=pin.note,
            must_read=pin.must_read,
        )
        await uow.pins.record(actor.app_id, change)
    await emit(
        uow,
        actor,
        now,
        EventType.PIN_REORDERED,
        chat_audience(chat.id),
        chat_id=chat.id,
        action=PinAction.REORDERED,
        version=chat.pin_version,
        moved=[p.message_id for p in moved],
        pins=[p.message_id for p in wanted],
    )
