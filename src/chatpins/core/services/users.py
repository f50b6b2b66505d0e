"""Users of an app, and resolving the several ids a dialect may name them by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chatpins.core.context import Deps
from chatpins.core.entities import User
from chatpins.core.errors import Conflict, InvalidArgument, NotFound, Reason
from chatpins.core.identity import feishu_open_id, feishu_union_id, is_url_safe_id, is_valid_id
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import tokens

ID_KINDS = ("user_id", "open_id", "union_id")
# Dialects check their own, smaller limits (ZIM 256 bytes, Feishu and native 255 characters).
MAX_USER_NAME = 512


def new_user(
    app_id: str, user_id: str, name: str, now: int, *, is_bot: bool = False, avatar: str = ""
) -> User:
    """A new user of the app, with its Feishu ids derived from the canonical id."""
    return User(
        app_id=app_id,
        id=user_id,
        name=name or user_id,
        is_bot=is_bot,
        registered_at=now,
        open_id=feishu_open_id(app_id, user_id),
        union_id=feishu_union_id(app_id, user_id),
        avatar=avatar,
    )


async def create_user(
    deps: Deps,
    app_id: str,
    user_id: str,
    name: str,
    *,
    is_bot: bool = False,
    avatar: str = "",
    url_safe_id: bool = True,
) -> User:
    """``url_safe_id=False`` for dialects whose ids may hold URL-unsafe characters (ZIM), which
    check their own character set first; core then only requires 1-128 printable characters."""
    if url_safe_id and not is_url_safe_id(user_id):
        raise InvalidArgument(Reason.INVALID_USER_ID, "1-128 of A-Z a-z 0-9 _ - . @ : + =")
    if not is_valid_id(user_id):
        raise InvalidArgument(Reason.INVALID_USER_ID, "1-128 printable characters")
    if len(name) > MAX_USER_NAME:
        raise InvalidArgument(
            Reason.INVALID_USER_NAME, f"name is at most {MAX_USER_NAME} characters"
        )
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        if await uow.users.get(app_id, user_id) is not None:
            raise Conflict(Reason.USER_EXISTS, user_id)
        user = new_user(app_id, user_id, name, deps.now(app), is_bot=is_bot, avatar=avatar)
        await uow.users.add(user)
    return user


@dataclass(frozen=True)
class TokenGrant:
    """A token to give a user along with an upsert: a new one, or a caller-made one to bind."""

    dialect: str
    issue: bool = False
    value: str | None = None
    expires_at: int | None = None  # ms; None: the dialect's default lifetime


@dataclass(frozen=True)
class UpsertedUser:
    user: User
    token: tokens.IssuedToken | None
    updated_at: int


async def upsert_user(
    deps: Deps,
    app_id: str,
    user_id: str,
    *,
    name: str | None = None,
    avatar: str | None = None,
    grant: TokenGrant | None = None,
) -> UpsertedUser:
    """Create a user or update the given profile fields (omitted ones keep their value), and
    optionally issue or bind a token, all in one transaction: a refused token changes nothing."""
    if not is_valid_id(user_id):
        raise InvalidArgument(Reason.INVALID_USER_ID, "1-128 of A-Z a-z 0-9 _ - . @ : + =")
    if name is not None and len(name) > MAX_USER_NAME:
        raise InvalidArgument(
            Reason.INVALID_USER_NAME, f"name is at most {MAX_USER_NAME} characters"
        )
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        now = deps.now(app)
        user = await uow.users.get(app_id, user_id)
        if user is None:
            user = new_user(app_id, user_id, name or "", now, avatar=avatar or "")
            await uow.users.add(user)
        elif name is not None or avatar is not None:
            user.name = name if name is not None else user.name
            user.avatar = avatar if avatar is not None else user.avatar
            await uow.users.update(user)
        issued = None
        if grant is not None and grant.issue:
            issued = await tokens.issue_within(uow, deps, app, user_id, grant.dialect)
        elif grant is not None and grant.value is not None:
            issued = await tokens.bind_within(
                uow, deps, app, user_id, grant.dialect, grant.value, grant.expires_at
            )
    return UpsertedUser(user, issued, now)


async def find_user(uow: UnitOfWork, app_id: str, kind: str, value: str) -> User | None:
    """Look a user up by any of its ids: canonical ``user_id``, ``open_id`` or ``union_id``."""
    if kind == "open_id":
        return await uow.users.get_by_open_id(app_id, value)
    if kind == "union_id":
        return await uow.users.get_by_union_id(app_id, value)
    if kind == "user_id":
        return await uow.users.get(app_id, value)
    raise InvalidArgument(Reason.INVALID_ID_TYPE, kind)


async def resolve_users(
    uow: UnitOfWork, app_id: str, kind: str, values: Iterable[str]
) -> tuple[dict[str, User], list[str]]:
    """Map each given id to its user; also return the ids that name nobody in this app."""
    found: dict[str, User] = {}
    unknown: list[str] = []
    for value in values:
        user = await find_user(uow, app_id, kind, value)
        if user is None:
            unknown.append(value)
        else:
            found[value] = user
    return found, unknown


async def get_users(deps: Deps, app_id: str, user_ids: Iterable[str]) -> dict[str, User]:
    async with deps.uow() as uow:
        users = await uow.users.get_many(app_id, list(dict.fromkeys(user_ids)))
    return {u.id: u for u in users}


async def lookup_user(deps: Deps, app_id: str, kind: str, value: str) -> User | None:
    async with deps.uow() as uow:
        return await find_user(uow, app_id, kind, value)


async def lookup_users(
    deps: Deps, app_id: str, kind: str, values: Iterable[str]
) -> tuple[dict[str, User], list[str]]:
    async with deps.uow() as uow:
        return await resolve_users(uow, app_id, kind, values)


async def list_users(deps: Deps, app_id: str) -> list[User]:
    """Every user of the app (its bot included)."""
    async with deps.uow() as uow:
        return await uow.users.of_app(app_id)
