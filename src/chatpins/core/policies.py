"""Permission and visibility rules shared by the use cases."""

from __future__ import annotations

from chatpins.core.context import Actor
from chatpins.core.entities import Chat, Member, Message, Permission, PinRight, Role
from chatpins.core.errors import Gone, LimitExceeded, PermissionDenied, Reason
from chatpins.core.ports import UnitOfWork


def is_manager(chat: Chat, member: Member | None) -> bool:
    """Owner, admins, the chat's creator (Feishu's creating bot acts as owner), the platform."""
    if member is None:
        return False
    return member.role in (Role.OWNER, Role.ADMIN) or member.user_id == chat.creator_id


def may_transfer_ownership(chat: Chat, member: Member) -> bool:
    """The chat's ``transfer_role`` or above, or its creator (Feishu's creating bot "may change
    everything", ``owner_id`` included; an IMKit room's owner is changed by its owner only)."""
    return member.role.at_least(chat.transfer_role) or member.user_id == chat.creator_id


def may(right: PinRight, chat: Chat, member: Member | None) -> bool:
    """Whether a member holds a pin right: the chat's policy names the lowest role allowed.
    Only roles count: a creating bot that is a plain member is a member here (Feishu,
    unconfirmed). The platform acts as the owner (``platform_member``)."""
    return member is not None and member.role.at_least(chat.pin_rights.lowest(right))


def platform_member(actor: Actor, chat: Chat) -> Member:
    """The platform administrator acts in any chat as if it were its owner."""
    return Member(actor.app_id, chat.id, actor.user.id, Role.OWNER, 0)


async def membership(uow: UnitOfWork, actor: Actor, chat: Chat) -> Member | None:
    """The actor's membership of the chat (the platform is everywhere an owner)."""
    if actor.is_platform:
        return platform_member(actor, chat)
    return await uow.members.get(actor.app_id, chat.id, actor.user.id)


def allowed(permission: Permission, chat: Chat, member: Member | None) -> bool:
    if member is None:
        return False
    if permission is Permission.MEMBERS:
        return True
    # Permission.OWNER_ADMINS: owner and admins only. A creating bot that is neither counts as
    # a plain member here (Feishu, unconfirmed): only roles count.
    return member.role in (Role.OWNER, Role.ADMIN)


def require_live(chat: Chat) -> None:
    if chat.dissolved:
        raise Gone(Reason.CHAT_DISSOLVED)


def require_app_capabilities(actor: Actor, *, pin_scope: bool = False) -> None:
    """Platform capabilities of the app (configurable per app to reproduce vendor errors)."""
    if not actor.app.bot_enabled:
        raise PermissionDenied(Reason.BOT_DISABLED)
    if pin_scope and not actor.app.pin_scope_granted:
        raise PermissionDenied(Reason.MISSING_PIN_SCOPE)


async def require_app_bot(uow: UnitOfWork, actor: Actor, chat: Chat) -> Member | None:
    """The app's bot must be in the chat (Feishu); its membership, when it was looked up."""
    if not actor.requires_app_bot:
        return None
    bot = await uow.members.get(actor.app_id, chat.id, actor.app.bot_user_id)
    if bot is None:
        raise PermissionDenied(Reason.BOT_NOT_IN_CHAT)
    return bot


async def require_available(uow: UnitOfWork, actor: Actor, chat: Chat) -> None:
    """A p2p chat with a user outside the app's availability is closed to the app."""
    if chat.kind != "p2p" or not actor.app.unavailable_user_ids:
        return
    for member in await uow.members.list(actor.app_id, chat.id):
        if member.user_id in actor.app.unavailable_user_ids:
            raise PermissionDenied(Reason.USER_UNAVAILABLE_TO_BOT)


def reads_every_message(actor: Actor) -> bool:
    """The app itself reads every message of its chats: the platform (IMKit's API key) and
    the app's bot (Feishu's tenant token). A restriction binds every user, robot users too."""
    return actor.is_platform or actor.user.id == actor.app.bot_user_id


def can_see(message: Message, member: Member | None, actor: Actor) -> bool:
    """The one visibility rule, applied by every read of a message (get, message lists, a
    chat's pinned and last message, pin changes): only the chat's members see its messages,
    and a restricted message (``visible_to``) only its audience, its sender and the app."""
    if member is None:
        return False
    return reads_every_message(actor) or message.visible_for(actor.user.id)


def require_admin_room(chat: Chat, admins: int) -> None:
    """The chat's admin cap (``ChatLimits.max_admins``, from its creating dialect) holds."""
    cap = chat.limits.max_admins
    if cap is not None and admins > cap:
        raise LimitExceeded(Reason.ADMIN_LIMIT, str(cap))
