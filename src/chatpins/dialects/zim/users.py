"""UserRegister (zim.md §6): batch registration with per-item failures."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from chatpins.core.errors import ChatpinsError
from chatpins.core.services import users
from chatpins.dialects.zim import schemas
from chatpins.dialects.zim.errors import ZimError, lookup, sub
from chatpins.dialects.zim.gateway import Call
from chatpins.dialects.zim.wire import batch

MAX_USERS = 100
MAX_NAME_BYTES = 256
MAX_AVATAR_BYTES = 500


async def user_register(call: Call) -> Response:
    items = schemas.object_items(
        schemas.list_field(call.body, "UserInfo", high=MAX_USERS), "UserInfo"
    )
    failures: list[dict[str, Any]] = []
    for item in items:
        try:
            user_id, name, avatar = _checked(item)
            await users.create_user(
                call.deps, call.app.id, user_id, name, avatar=avatar, url_safe_id=False
            )
        except ZimError as exc:
            failures.append(_failure(item.get("UserId"), exc.code, exc.message))
        except ChatpinsError as exc:
            failures.append(_failure(item.get("UserId"), *sub(exc)))
    return batch("ErrorList", failures, len(items))


def _checked(item: dict[str, Any]) -> tuple[str, str, str]:
    """The item's UserId, UserName and UserAvatar, or the item's failure."""
    user_id = item.get("UserId")
    problem = schemas.id_problem(user_id)
    if problem is not None:
        raise ZimError(*lookup(problem))
    assert isinstance(user_id, str)  # id_problem accepts strings only
    name = schemas.str_field(item, "UserName", MAX_NAME_BYTES, reason="user_name_too_long")
    avatar = schemas.str_field(item, "UserAvatar", MAX_AVATAR_BYTES, reason="user_avatar_too_long")
    return user_id, name, avatar


def _failure(user_id: Any, code: int, message: str) -> dict[str, Any]:
    return {
        "UserId": user_id if isinstance(user_id, str) else "",
        "SubCode": code,
        "SubMessage": message,
    }
