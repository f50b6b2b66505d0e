"""The checks every pin change makes before it writes anything: the message and its chat
(in Feishu's documented order), the actor's right under the chat's pin policy, the version the
caller read, and the per-message pin rate."""

from __future__ import annotations

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Member, Message, PinRight
from chatpins.core.errors import (
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    Reason,
)
from chatpins.core.ports import UnitOfWork


def require_version(chat: Chat, expected: int | None) -> None:
    """A change made on a version the caller read: refused once the chat's pins moved on."""
    if expected is not None and expected != chat.pin_version:
        raise PreconditionFailed(
            Reason.VERSION_MISMATCH, f"the pin version is {chat.pin_version}, not {expected}"
        )


async def load_for_pin_change(
    uow: UnitOfWork, actor: Actor, message_id: str, now: int, *, chat_id: str | None = None
) -> tuple[Message, Chat, Member | None]:
    """The checks pin and unpin share, in Feishu's documented order (230001 … 230050); with
    ``chat_id``, a message of another chat is unknown."""
    message = await uow.messages.get(actor.app_id, message_id)
    if message is None or message.is_expired(now) or chat_id not in (None, message.chat_id):
        raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
    # Lock the chat row: pin, recall and dissolve of one chat are serialised, so a dissolved
    # chat or a recalled message never ends up pinned, whatever the interleaving.
    chat = await uow.chats.get(actor.app_id, message.chat_id, for_update=True)
    if chat is None:
        raise NotFound(Reason.CHAT_NOT_FOUND, message.chat_id)
    policies.require_live(chat)
    bot = await policies.require_app_bot(uow, actor, chat)
    await policies.require_available(uow, actor, chat)
    if uow.row_locks:
        # Re-read under the lock: a recall that committed while we waited must be seen.
        # (Without row locks the whole write transaction is serialised from its start, and
        # the first read was already under it.)
        message = await uow.messages.get(actor.app_id, message_id)
        assert message is not None
    if bot is not None and bot.user_id == actor.user.id:
        member: Member | None = bot  # the bot acting: already read
    else:
        member = await policies.membership(uow, actor, chat)
    if not policies.can_see(message, member, actor):
        raise PermissionDenied(Reason.MESSAGE_INVISIBLE)
    return message, chat, member


_REFUSED = {
    PinRight.PIN: Reason.MAY_NOT_PIN,
    PinRight.UNPIN_OWN: Reason.MAY_NOT_UNPIN,
    PinRight.UNPIN_ANY: Reason.MAY_NOT_UNPIN,
    PinRight.REORDER: Reason.MAY_NOT_REORDER,
    PinRight.EDIT: Reason.MAY_NOT_EDIT_PIN,
}


def require_right(right: PinRight, chat: Chat, member: Member | None) -> None:
    if not policies.may(right, chat, member):
        raise PermissionDenied(_REFUSED[right])


async def count_pin_operation(deps: Deps, actor: Actor, chat: Chat, message_id: str) -> None:
    """Pin and unpin together, per message, under the chat's ``pin_rate_per_message`` (from
    its creating dialect; none: no limit)."""
    rate = chat.limits.pin_rate_per_message
    if rate is None:
        return
    key = f"pinop:{actor.app_id}:{message_id}"
    if await deps.hit_limit(actor.app, key, rate, 1.0) is not None:
        raise RateLimited(Reason.MESSAGE_PIN_RATE, limit=rate)
