"""Send a message to a user: one use case, one transaction.

A message addressed to a user (Feishu's ``receive_id_type`` ``open_id``/``union_id``/
``user_id``, each receiver of ZIM's SendPeerMessage) goes to the one-on-one chat of the sender
and that user, started by the first message. Finding or starting the chat and sending are one
unit of work, so a refused send (Feishu's 230020 chat rate, the app's bot not in the chat, a
peer unavailable to the bot, …) leaves no chat, no member and no ``chat.created`` behind.
"""

from __future__ import annotations

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Message
from chatpins.core.errors import Conflict, Reason
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.chats import check_new_chat, create_within, p2p_spec
from chatpins.core.services.messages import NewMessage, send_into


async def send_to_user(deps: Deps, actor: Actor, peer_id: str, new: NewMessage) -> Message:
    """Send ``new`` from the actor to the user ``peer_id`` (a registered user other than the
    actor: the caller resolves and checks the address), in their one-on-one chat.

    Events: ``chat.created`` when the message starts the chat, then ``message.sent``. An earlier
    send with the same ``new.send_key`` returns that message and changes nothing.
    """

    async def find_chat(uow: UnitOfWork, now: int) -> Chat:
        return await _p2p_chat(uow, actor, peer_id, now)

    try:
        return await send_into(deps, actor, find_chat, new)
    except Conflict as exc:
        if exc.reason is not Reason.DUPLICATE_KEY:
            raise
        # Two first messages of one pair raced to start their chat (its id follows from the
        # pair, so they meet on its primary key) and this one lost before its send was checked:
        # all it did was rolled back, and the second try finds the chat the other one committed
        # and sends into it, as if it had come second.
        return await send_into(deps, actor, find_chat, new)


async def _p2p_chat(uow: UnitOfWork, actor: Actor, peer_id: str, now: int) -> Chat:
    """The one-on-one chat of the actor and the peer, created in ``uow`` when there is none."""
    chat = await uow.chats.find_p2p(actor.app_id, actor.user.id, peer_id)
    if chat is not None:
        return chat
    spec = p2p_spec(actor, peer_id)
    check_new_chat(actor, spec)
    # ``find_p2p`` passes over a dissolved chat, which still holds the pair's id: sending into
    # it is refused (chat_dissolved), as a chat cannot be created over it.
    return await uow.chats.get(actor.app_id, spec.id) or await create_within(uow, actor, spec, now)
