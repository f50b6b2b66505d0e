"""Pinning messages in a chat: the one pin algorithm every dialect shares.

A chat's pin rules are data on the chat (``max_pins``, ``overflow``, ``pin_rights``), set
from the creating dialect's defaults; nothing here depends on the dialect. A pin has a time
(``pinned_at``: when) and a position (``rank``: where); a new pin goes to the top unless a
position is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import (
    Chat,
    Message,
    Pin,
    PinAction,
    PinRight,
)
from chatpins.core.errors import (
    Gone,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Reason,
    Unsupported,
)
from chatpins.core.events import EventType
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import pin_changes
from chatpins.core.services.pin_checks import (
    count_pin_operation,
    load_for_pin_change,
    require_right,
    require_version,
)

__all__ = ["load_for_pin_change", "require_right", "require_version"]  # the checks pins use


@dataclass
class PinPage:
    pins: list[Pin]
    has_more: bool
    next_after: tuple[int, int] | None  # (pinned_at, id) of the last pin, when has_more


@dataclass(frozen=True)
class PinOptions:
    """What the native API may say about a new pin (the dialects use the defaults)."""

    position: int = 0  # 0: the top; past the end: the end
    expires_at: int | None = None  # ms
    note: str = ""
    chat_id: str | None = None  # the message must be in this chat
    expected_version: int | None = None  # the chat's pin version the caller last read
    must_read: bool = False
    action: PinAction = PinAction.ADDED  # or RESTORED: pinned again from its history
    starts_at: int | None = None  # ms; later than now: a scheduled pin (``_schedule``)


@dataclass
class PinOutcome:
    pin: Pin
    message: Message  # as it reads right after the pin
    created: bool  # False: the message was pinned already, nothing changed
    evicted: list[str]  # message ids removed to make room
    version: int  # the chat's pin version after the call
    position: int  # where the pin stands: how many pins are above it
    # Filled when asked (``counted``), read in the same transaction: a must-read pin's
    # progress, acks of current members out of the chat's members.
    acks: int = 0
    members: int = 0


async def pin_message(deps: Deps, actor: Actor, message_id: str) -> Pin:
    """Pin a message. Pinning a pinned message returns the existing pin unchanged."""
    return (await pin(deps, actor, message_id)).pin


async def pin_and_read(deps: Deps, actor: Actor, message_id: str) -> tuple[Pin, Message]:
    """Pin a message; also return the message as it reads right after the pin (same
    transaction, so a concurrent pin that replaces this one cannot show through)."""
    outcome = await pin(deps, actor, message_id)
    return outcome.pin, outcome.message


async def pin(
    deps: Deps,
    actor: Actor,
    message_id: str,
    options: PinOptions = PinOptions(),
    *,
    counted: bool = False,
) -> PinOutcome:
    """Pin a message at a position, until an expiry when given. Pinning a pinned message
    returns its pin unchanged. ``counted``: with the pin's must-read progress."""
    policies.require_app_capabilities(actor, pin_scope=True)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        outcome = await pin_within(uow, deps, actor, message_id, options, now)
        return await with_progress(uow, outcome) if counted else outcome


async def with_progress(uow: UnitOfWork, outcome: PinOutcome) -> PinOutcome:
    """``outcome`` with its pin's acks (of current members) and the chat's member count."""
    pin = outcome.pin
    acks, outcome.members = await counts_within(uow, pin.app_id, pin.chat_id, [pin])
    outcome.acks = acks.get(pin.id or 0, 0)
    return outcome


async def counts_within(
    uow: UnitOfWork, app_id: str, chat_id: str, listed: list[Pin]
) -> tuple[dict[int, int], int]:
    """For rendering pins: acks per pin id (of current members), and the member count."""
    must_read = [p.id for p in listed if p.must_read and p.id is not None]
    counts = await uow.acks.counts(app_id, chat_id, must_read) if must_read else {}
    return counts, await uow.members.count(app_id, chat_id)


async def pin_within(
    uow: UnitOfWork, deps: Deps, actor: Actor, message_id: str, options: PinOptions, now: int
) -> PinOutcome:
    """``pin`` inside an open unit of work. Every refusal comes before the first write, so a
    refused pin in a batch leaves the batch's other changes alone."""
    if options.position < 0:
        raise InvalidArgument(Reason.INVALID_POSITION, str(options.position))
    message, chat, member = await load_for_pin_change(
        uow, actor, message_id, now, chat_id=options.chat_id
    )
    if message.recalled:
        raise Gone(Reason.MESSAGE_RECALLED)
    if message.expires_at is not None:
        raise Gone(Reason.MESSAGE_SELF_DESTRUCTING)
    if message.type in chat.limits.unpinnable_types:
        raise Unsupported(Reason.MESSAGE_TYPE, message.type)
    require_right(PinRight.PIN, chat, member)
    require_version(chat, options.expected_version)
    await count_pin_operation(deps, actor, chat, message_id)
    if options.expires_at is not None and options.expires_at <= now:
        raise InvalidArgument(Reason.INVALID_EXPIRY, "expires_at must be in the future")
    current = await _current_pin(uow, actor, chat, message_id, now)
    later = options.starts_at is not None and options.starts_at > now
    if current is not None and (current.in_force(now) or later):
        # Pinned already (or scheduled already, when asked to schedule): nothing changes.
        position = await uow.pins.position_of(current, now)
        return PinOutcome(current, message, False, [], chat.pin_version, position)
    if later:
        return await _schedule(uow, actor, chat, message, options, now)
    evicted = await pin_changes.make_room(uow, actor, chat, now)  # the last refusal (a full chat)
    if current is not None:
        # Scheduled, and now pinned at once: the schedule ends here (``added`` follows).
        await uow.pins.remove(current)
    rank, position = await pin_changes.rank_at(uow, chat, options.position, now)
    new = await uow.pins.add(_new_pin(actor, chat, message_id, options, rank, pinned_at=now))
    # Pinning is a change to the message: its update time advances (IMKit updatedAtMS).
    await uow.messages.touch(actor.app_id, message_id, now)
    await pin_changes.record_change(
        uow, actor, chat, new, now, options.action, _REASONS[options.action], EventType.PIN_CREATED
    )
    message.updated_at = max(message.updated_at, now)
    return PinOutcome(new, message, True, evicted, chat.pin_version, position)


_REASONS = {PinAction.ADDED: "pinned", PinAction.RESTORED: "restored"}


def _new_pin(
    actor: Actor,
    chat: Chat,
    message_id: str,
    options: PinOptions,
    rank: str,
    *,
    pinned_at: int,
    starts_at: int | None = None,
) -> Pin:
    """The pin ``options`` ask for (a scheduled one when ``starts_at`` is given)."""
    return Pin(
        app_id=actor.app_id,
        chat_id=chat.id,
        message_id=message_id,
        pinned_by=actor.user.id,
        pinned_at=pinned_at,
        rank=rank,
        dialect=actor.dialect,
        expires_at=options.expires_at,
        note=options.note,
        must_read=options.must_read,
        starts_at=starts_at,
        scheduled=starts_at is not None,
    )


async def _schedule(
    uow: UnitOfWork, actor: Actor, chat: Chat, message: Message, options: PinOptions, now: int
) -> PinOutcome:
    """A pin that starts at ``options.starts_at``: written now (its place among the pins of
    now, its expiry), invisible to every read and cap until the sweeper starts it. History
    ``scheduled``; ``pin.created`` with that action and ``starts_at``."""
    starts_at = options.starts_at
    assert starts_at is not None
    if options.expires_at is not None and options.expires_at <= starts_at:
        raise InvalidArgument(Reason.INVALID_EXPIRY, "expires_at must be after starts_at")
    rank, position = await pin_changes.rank_at(uow, chat, options.position, now)
    new = await uow.pins.add(
        _new_pin(actor, chat, message.id, options, rank, pinned_at=starts_at, starts_at=starts_at)
    )
    await pin_changes.record_change(
        uow,
        actor,
        chat,
        new,
        now,
        PinAction.SCHEDULED,
        "scheduled",
        EventType.PIN_CREATED,
        starts_at=starts_at,
    )
    return PinOutcome(new, message, True, [], chat.pin_version, position)


async def unpin_message(deps: Deps, actor: Actor, message_id: str) -> Message:
    """Unpin a message. Not pinned, or already recalled, is still a success.

    Returns the message as it reads right after the unpin.
    """
    message, _version = await unpin(deps, actor, message_id)
    return message


async def unpin(
    deps: Deps,
    actor: Actor,
    message_id: str,
    *,
    chat_id: str | None = None,
    expected_version: int | None = None,
    must_be_pinned: bool = False,
) -> tuple[Message, int]:
    """Unpin a message (in ``chat_id`` when given); the message as it reads after, and the
    chat's pin version. Not pinned: a success, or ``pin_not_found`` if ``must_be_pinned``."""
    policies.require_app_capabilities(actor, pin_scope=True)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        return await unpin_checked(
            uow, deps, actor, message_id, now, chat_id, expected_version, must_be_pinned
        )


async def unpin_checked(
    uow: UnitOfWork,
    deps: Deps,
    actor: Actor,
    message_id: str,
    now: int,
    chat_id: str | None = None,
    expected_version: int | None = None,
    must_be_pinned: bool = False,
) -> tuple[Message, int]:
    """``unpin`` inside an open unit of work; every refusal comes before the first write."""
    message, chat, member = await load_for_pin_change(uow, actor, message_id, now, chat_id=chat_id)
    # A scheduled pin is unpinned (its schedule cancelled) like a pin in force.
    pin = await _current_pin(uow, actor, chat, message_id, now)
    # Someone else's pin needs ``unpin_any``; one's own (or no pin at all) ``unpin_own``.
    others = pin is not None and pin.pinned_by != actor.user.id
    require_right(PinRight.UNPIN_ANY if others else PinRight.UNPIN_OWN, chat, member)
    require_version(chat, expected_version)
    if pin is None and must_be_pinned:
        raise NotFound(Reason.PIN_NOT_FOUND, message_id)
    await count_pin_operation(deps, actor, chat, message_id)
    if pin is not None:
        reason = "unscheduled" if pin.scheduled else "unpinned"
        await pin_changes.remove_within(
            uow, actor, chat, pin, now, action=PinAction.REMOVED, reason=reason
        )
        message.updated_at = max(message.updated_at, now)
    return message, chat.pin_version


async def list_pins(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    *,
    start: int | None = None,
    end: int | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 20,
) -> PinPage:
    """A chat's pins, newest first, within an optional time window (bounds inclusive)."""
    policies.require_app_capabilities(actor)
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        chat = await uow.chats.get(actor.app_id, chat_id)
        if chat is None:
            raise InvalidArgument(Reason.UNKNOWN_CHAT_ID, chat_id)
        policies.require_live(chat)
        await policies.require_app_bot(uow, actor, chat)
        await policies.require_available(uow, actor, chat)
        if await policies.membership(uow, actor, chat) is None:
            raise PermissionDenied(Reason.NOT_CHAT_MEMBER)
        pins = await uow.pins.page(
            actor.app_id, chat.id, start=start, end=end, after=after, limit=limit + 1, now=now
        )
    has_more = len(pins) > limit
    pins = pins[:limit]
    last = pins[-1] if has_more else None
    return PinPage(pins, has_more, (last.pinned_at, last.id or 0) if last else None)


async def unpin_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, message_id: str, now: int, *, reason: str
) -> bool:
    """Remove a message's pin (or scheduled pin) inside an open unit of work; False when it
    had none."""
    pin = await _current_pin(uow, actor, chat, message_id, now)
    if pin is None:
        return False
    await pin_changes.remove_within(
        uow, actor, chat, pin, now, action=PinAction.REMOVED, reason=reason
    )
    return True


async def _current_pin(
    uow: UnitOfWork, actor: Actor, chat: Chat, message_id: str, now: int
) -> Pin | None:
    """The message's pin row: in force, or scheduled. A pin whose time is up but which the
    sweeper has not reached yet is expired here, in this transaction (history ``expired``),
    so the message can be pinned again at once."""
    pin = await uow.pins.get_by_message(actor.app_id, message_id)
    if pin is None or not pin.is_due(now):
        return pin
    await pin_changes.expire_within(uow, actor.as_system(), chat, pin, now)
    return None
