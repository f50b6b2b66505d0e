"""An app as a declaration (``declared_state``): what ``apply_declared`` would need to make
it again, read in one transaction.

Secrets kept only hashed come back as their hashes, so the declaration keeps them working
wherever it is applied. Left out, because a declaration cannot make them: dissolved chats,
recalled messages (and a message's self-destruct time and restricted audience), scheduled
pins, the app's bot when it is as a new app has it, and the app's moved clock.

The order is canonical, fixed by what a declaration holds: users and chats by id, members by
role then id, messages by time then id, pins and conversation pins in their order. So the
same state reads back the same, whenever and wherever it was made.
"""

from __future__ import annotations

from chatpins.core.context import Deps
from chatpins.core.entities import App, Chat, Role, User
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import apps
from chatpins.core.services.declared_state import (
    SETTINGS,
    ChatRules,
    DeclaredApp,
    DeclaredChat,
    DeclaredConversationPin,
    DeclaredMember,
    DeclaredMessage,
    DeclaredPin,
    DeclaredUser,
    FeishuCredentials,
    ImkitCredentials,
    NativeCredentials,
    Secret,
    ZimCredentials,
)

_PAGE = 100
_ROLE_ORDER = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}


async def read_declared(deps: Deps, ref: str) -> DeclaredApp:
    """The app ``ref`` names (its id, Feishu app id or ZIM AppId) as a declaration."""
    found = await apps.get_app(deps, ref)
    async with deps.uow() as uow:
        app = await uow.apps.get(found.id) or found
        now = deps.now(app)
        chats = await _live_chats(uow, app.id)
        declared_chats = [await _chat(uow, chat, now) for chat in chats]
        live = {chat.id for chat in chats}
        users = []
        for user in sorted(await uow.users.of_app(app.id), key=lambda u: u.id):
            pinned = await uow.conversation_pins.list_for_user(app.id, user.id, now)
            conversation_pins = tuple(
                DeclaredConversationPin(p.chat_id, p.expires_at)
                for p in pinned
                if p.chat_id in live
            )
            if not (_is_new_bot(app, user) and not conversation_pins):
                users.append(_user(user, conversation_pins))
    return DeclaredApp(
        id=app.id,
        name=app.name,
        settings={key: getattr(app, key) for key in SETTINGS},
        feishu=FeishuCredentials(app.feishu_app_id, Secret(sha256=app.feishu_secret_hash)),
        imkit=ImkitCredentials(app.imkit_client_key, Secret(sha256=app.imkit_api_key_hash)),
        zim=ZimCredentials(app.zim_app_id, app.zim_server_secret),
        native=NativeCredentials(Secret(sha256=app.native_api_key_hash)),
        users=tuple(users),
        chats=tuple(declared_chats),
    )


def _is_new_bot(app: App, user: User) -> bool:
    """The app's bot as a new app makes it: implied by the app, not worth declaring."""
    return user.id == app.bot_user_id and (user.name, user.avatar, user.is_bot) == (
        f"{app.name} bot",
        "",
        True,
    )


def _user(user: User, conversation_pins: tuple[DeclaredConversationPin, ...]) -> DeclaredUser:
    return DeclaredUser(user.id, user.name, user.avatar, user.is_bot, conversation_pins)


async def _live_chats(uow: UnitOfWork, app_id: str) -> list[Chat]:
    found: list[Chat] = []
    while True:
        page, total = await uow.chats.list_for_member(app_id, None, offset=len(found), limit=_PAGE)
        found += page
        if not page or len(found) >= total:
            return sorted(found, key=lambda c: c.id)


async def _chat(uow: UnitOfWork, chat: Chat, now: int) -> DeclaredChat:
    members = sorted(
        await uow.members.list(chat.app_id, chat.id),
        key=lambda m: (_ROLE_ORDER[m.role], m.user_id),
    )
    pinned = await uow.pins.by_position(chat.app_id, chat.id, now=now)
    return DeclaredChat(
        id=chat.id,
        kind=chat.kind,
        dialect=chat.dialect,
        rules=ChatRules(
            pin_rights=chat.pin_rights,
            max_pins=chat.max_pins,
            overflow=chat.overflow,
            transfer_role=chat.transfer_role,
            edit_permission=chat.edit_permission,
            add_member_permission=chat.add_member_permission,
        ),
        name=chat.name,
        description=chat.description,
        creator=chat.creator_id,
        attributes=dict(chat.attributes),
        members=tuple(DeclaredMember(m.user_id, m.role) for m in members),
        messages=tuple(await _messages(uow, chat, now)),
        pins=tuple(
            DeclaredPin(p.message_id, p.pinned_by, p.note, p.expires_at, p.pinned_at, p.must_read)
            for p in pinned
        ),
    )


async def _messages(uow: UnitOfWork, chat: Chat, now: int) -> list[DeclaredMessage]:
    """The chat's messages, oldest first (recalled ones left out)."""
    found: list[DeclaredMessage] = []
    after = None
    while True:
        page, _total = await uow.messages.page(
            chat.app_id,
            chat.id,
            before=None,
            after=after,
            since=None,
            time_field="created_at",
            descending=False,
            limit=_PAGE,
            now=now,
        )
        found += [
            DeclaredMessage(m.id, m.sender_id, m.content, m.type, m.created_at)
            for m in page
            if not m.recalled
        ]
        if len(page) < _PAGE:
            return found
        after = page[-1]
