"""Create a chat, or change the one that already has its id: one use case, one transaction.

IMKit's ``POST /rooms`` (and ``/rooms/createAndJoin``) with the ``_id`` of an existing room
adds the listed members and then updates the given fields. Both steps are one unit of work, so
a refused update (say, a plain member renaming a room only managers edit) leaves no member
added and no event written.
"""

from __future__ import annotations

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat
from chatpins.core.services.chats import (
    ChatChanges,
    NewChat,
    check_new_chat,
    create_within,
    require_member,
    update_within,
)
from chatpins.core.services.members import add_within


async def upsert_chat(deps: Deps, actor: Actor, spec: NewChat, changes: ChatChanges) -> Chat:
    """Create the chat ``spec`` describes; when a chat with ``spec.id`` exists, add
    ``spec.member_ids`` to it and apply ``changes`` instead, under the rules of
    ``add_members`` and ``update_chat`` (the actor must be a member, or the platform).

    Events: ``chat.created`` for a new chat; ``member.added`` (when someone was added) and
    ``chat.updated`` for an existing one — the same as the separate use cases write.
    """
    check_new_chat(actor, spec)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        # Locked when it exists: the members added and the update see one state of the chat.
        chat = await uow.chats.get(actor.app_id, spec.id, for_update=True)
        if chat is None:
            return await create_within(uow, actor, spec, now)
        policies.require_live(chat)
        member = await require_member(uow, actor, chat)
        await add_within(uow, actor, chat, member, spec.member_ids, now)
        return await update_within(uow, actor, chat, member, changes, now)
