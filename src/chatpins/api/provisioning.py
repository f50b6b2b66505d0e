"""Apps, users and tokens over HTTP, guarded by the admin key, so tests in any language can
set themselves up."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from chatpins.core.context import Deps
from chatpins.core.entities import App, Message, User
from chatpins.core.errors import Unauthenticated
from chatpins.core.events import event_id
from chatpins.core.identity import feishu_open_id
from chatpins.core.services import admin, apps, messages, outbox, tokens, users
from chatpins.delivery.frames import native_event


def get_deps(request: Request) -> Deps:
    return request.app.state.deps


async def require_admin(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given:
        raise Unauthenticated("missing_admin_key")
    if not await is_admin_key(request.app.state, given):
        raise Unauthenticated("wrong_admin_key")


async def is_admin_key(state: Any, given: str) -> bool:
    """The configured admin key if there is one, else the stored (hashed) one."""
    configured: str | None = state.settings.admin_key
    if configured is not None:
        return hmac.compare_digest(given.encode(), configured.encode())
    return await admin.is_admin_key(state.deps, given)


router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["provisioning"])
DepsDep = Annotated[Deps, Depends(get_deps)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class AppCreate(Strict):
    name: str = Field(min_length=1, max_length=255)


class AppUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    bot_enabled: bool | None = None
    pin_scope_granted: bool | None = None
    unavailable_user_ids: list[str] | None = None
    api_rate_per_second: int | None = Field(default=None, ge=0)
    api_rate_per_minute: int | None = Field(default=None, ge=0)
    message_rate_per_second: int | None = Field(default=None, ge=0)
    zim_rate_limits: bool | None = None


class UserCreate(Strict):
    id: str = Field(min_length=1, max_length=128)
    name: str = Field(default="", max_length=255)
    is_bot: bool = False
    avatar: str = ""


class TokenIssue(Strict):
    user_id: str = Field(min_length=1)
    dialect: Literal["feishu", "imkit"] = "feishu"
    ttl_seconds: int | None = Field(default=None, ge=1)


class MessageUpdate(Strict):
    self_destruct_at_ms: int | None = Field(default=None, ge=0)
    visible_to: list[str] | None = None


def render_app(app: App, new: apps.NewApp | None = None) -> dict[str, Any]:
    feishu: dict[str, Any] = {
        "app_id": app.feishu_app_id,
        "bot_open_id": feishu_open_id(app.id, app.bot_user_id),
    }
    imkit: dict[str, Any] = {"client_key": app.imkit_client_key}
    if new is not None:  # secrets we keep only hashed are shown once, at creation
        feishu["app_secret"] = new.feishu_app_secret
        imkit["api_key"] = new.imkit_api_key
    return {
        "id": app.id,
        "name": app.name,
        "created_at": iso(app.created_at),
        "feishu": feishu,
        "imkit": imkit,
        "zim": {"app_id": app.zim_app_id, "server_secret": app.zim_server_secret},
        "settings": {key: getattr(app, key) for key in apps.CONFIGURABLE if key != "name"},
    }


def render_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "is_bot": user.is_bot,
        "registered_at": iso(user.registered_at),
        "feishu": {"open_id": user.open_id, "union_id": user.union_id, "user_id": user.id},
    }


def render_message(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "chat_id": message.chat_id,
        "sender_id": message.sender_id,
        "type": message.type,
        "content": message.content,
        "created_at_ms": message.created_at,
        "recalled_at_ms": message.recalled_at,
        "self_destruct_at_ms": message.expires_at,
        "visible_to": message.visible_to,
    }


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


@router.post("/apps", status_code=201)
async def create_app(body: AppCreate, deps: DepsDep) -> dict[str, Any]:
    new = await apps.create_app(deps, body.name)
    return render_app(new.app, new)


@router.get("/apps/{app_id}")
async def get_app(app_id: str, deps: DepsDep) -> dict[str, Any]:
    return render_app(await apps.get_app(deps, app_id))


@router.patch("/apps/{app_id}")
async def update_app(app_id: str, body: AppUpdate, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    changes = body.model_dump(exclude_none=True)
    return render_app(await apps.configure_app(deps, app.id, changes))


@router.post("/apps/{app_id}/users", status_code=201)
async def create_user(app_id: str, body: UserCreate, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    user = await users.create_user(
        deps, app.id, body.id, body.name, is_bot=body.is_bot, avatar=body.avatar
    )
    return render_user(user)


@router.post("/apps/{app_id}/tokens", status_code=201)
async def issue_token(app_id: str, body: TokenIssue, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    issued = await tokens.issue_user_token(
        deps, app.id, body.user_id, body.dialect, body.ttl_seconds
    )
    return {"token": issued.value, "expires_at": iso(issued.expires_at)}


@router.patch("/apps/{app_id}/messages/{message_id}")
async def update_message(
    app_id: str, message_id: str, body: MessageUpdate, deps: DepsDep
) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    message = await messages.set_message_lifecycle(
        deps, app.id, message_id, expires_at=body.self_destruct_at_ms, visible_to=body.visible_to
    )
    return render_message(message)


@router.get("/apps/{app_id}/events")
async def list_events(
    app_id: str, deps: DepsDep, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """The app's event outbox after a ``seq`` cursor (oldest first), to poll and resume."""
    app = await apps.get_app(deps, app_id)
    events = await outbox.events_after(deps, app.id, after, limit)
    return {
        "events": [native_event(event_id(app.id, e.seq), e) for e in events],
        "next_after": events[-1].seq if events else after,
    }
