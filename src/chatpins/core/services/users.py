"""Users of an app, and resolving the several ids a dialect may name them by."""

from __future__ import annotations

from collections.abc import Iterable

from chatpins.core.context import Deps
from chatpins.core.entities import User
from chatpins.core.errors import Conflict, InvalidArgument, NotFound
from chatpins.core.identity import feishu_open_id, feishu_union_id, is_valid_id
from chatpins.core.ports import UnitOfWork

ID_KINDS = ("user_id", "open_id", "union_id")


async def create_user(
    deps: Deps, app_id: str, user_id: str, name: str, *, is_bot: bool = False, avatar: str = ""
) -> User:
    if not is_valid_id(user_id):
        raise InvalidArgument("invalid_user_id", "1-128 of A-Z a-z 0-9 _ - . @ : + =")
    if len(name) > 255:
        raise InvalidArgument("invalid_user_name", "name is at most 255 characters")
    async with deps.uow(write=True) as uow:
        if await uow.apps.get(app_id) is None:
            raise NotFound("app_not_found", app_id)
        if await uow.users.get(app_id, user_id) is not None:
            raise Conflict("user_exists", user_id)
        user = User(
            app_id=app_id,
            id=user_id,
            name=name or user_id,
            is_bot=is_bot,
            registered_at=deps.clock.now_ms(),
            open_id=feishu_open_id(app_id, user_id),
            union_id=feishu_union_id(app_id, user_id),
            avatar=avatar,
        )
        await uow.users.add(user)
    return user


async def find_user(uow: UnitOfWork, app_id: str, kind: str, value: str) -> User | None:
    """Look a user up by any of its ids: canonical ``user_id``, ``open_id`` or ``union_id``."""
    if kind == "open_id":
        return await uow.users.get_by_open_id(app_id, value)
    if kind == "union_id":
        return await uow.users.get_by_union_id(app_id, value)
    if kind == "user_id":
        return await uow.users.get(app_id, value)
    raise InvalidArgument("invalid_id_type", kind)


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
