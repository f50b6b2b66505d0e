"""Apps, users and tokens over HTTP, guarded by the admin key, so tests in any language can
set themselves up."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from chatpins.api.bodies import Strict
from chatpins.api.errors import responses
from chatpins.api.native.auth import get_deps
from chatpins.api.native.schemas import PinPolicyBody
from chatpins.core.context import Deps
from chatpins.core.entities import MAX_TIME_MS, App, Message, User
from chatpins.core.errors import Reason, Unauthenticated
from chatpins.core.events import event_id
from chatpins.core.identity import feishu_open_id
from chatpins.core.services import admin, apps, messages, outbox, tokens, users
from chatpins.delivery.frames import native_event
from chatpins.intake import INT64_MAX


async def require_admin(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given:
        raise Unauthenticated(Reason.MISSING_ADMIN_KEY)
    if not await is_admin_key(request.app.state, given):
        raise Unauthenticated(Reason.WRONG_ADMIN_KEY)


async def is_admin_key(state: Any, given: str) -> bool:
    """The configured admin key if there is one, else the stored (hashed) one."""
    configured: str | None = state.settings.admin_key
    if configured is not None:
        return hmac.compare_digest(given.encode(), configured.encode())
    return await admin.is_admin_key(state.deps, given)


router = APIRouter(
    prefix="/v1",
    dependencies=[Depends(require_admin)],
    tags=["provisioning"],
    responses=responses(400, 401, 413),
)
DepsDep = Annotated[Deps, Depends(get_deps)]

# Every integer on the wire has a declared range, so a value no column can hold is refused
# with 400 before it reaches storage (PostgreSQL BIGINT, INTEGER for the rates).
MAX_RATE = 1_000_000  # requests or messages per second/minute; 0 switches the limit off
MAX_EVENTS_PAGE = outbox.MAX_PAGE
MAX_CONVERSATION_PIN_CAP = 10_000


class AppCreate(Strict):
    name: str = Field(min_length=1, max_length=255)


class AppUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    bot_enabled: bool | None = None
    pin_scope_granted: bool | None = None
    unavailable_user_ids: list[str] | None = None
    api_rate_per_second: int | None = Field(default=None, ge=0, le=MAX_RATE)
    api_rate_per_minute: int | None = Field(default=None, ge=0, le=MAX_RATE)
    message_rate_per_second: int | None = Field(default=None, ge=0, le=MAX_RATE)
    zim_rate_limits: bool | None = None
    # Conversations one user may pin (ZIM's ConvPinned and the native API alike).
    conversation_pin_cap: int | None = Field(default=None, ge=1, le=MAX_CONVERSATION_PIN_CAP)
    # What chats made through /v1 start with, per key (``{}``: the built-in policy again).
    native_pin_policy: PinPolicyBody | None = None


class UserCreate(Strict):
    id: str = Field(min_length=1, max_length=128)
    name: str = Field(default="", max_length=255)
    is_bot: bool = False
    avatar: str = ""


class TokenIssue(Strict):
    user_id: str = Field(min_length=1)
    # Any dialect that declared its user tokens (core refuses the others: 400).
    dialect: str = Field(default="feishu", min_length=1, max_length=32)
    ttl_seconds: int | None = Field(default=None, ge=1, le=tokens.MAX_USER_TOKEN_TTL_S)


class MessageUpdate(Strict):
    self_destruct_at_ms: int | None = Field(default=None, ge=0, le=MAX_TIME_MS)
    visible_to: list[str] | None = None


# Replies, for the OpenAPI document only (``responses=``): the routes return the rendered dicts
# unchanged, so a field added to a renderer is never filtered out by a stale model.


class FeishuCredentials(BaseModel):
    app_id: str
    bot_open_id: str
    app_secret: str | None = Field(default=None, description="Only in the creation reply")


class ImkitCredentials(BaseModel):
    client_key: str
    api_key: str | None = Field(default=None, description="Only in the creation reply")


class ZimCredentials(BaseModel):
    app_id: int
    server_secret: str


class NativeCredentials(BaseModel):
    api_key: str | None = Field(default=None, description="Only in the creation reply")
    has_api_key: bool


class NativeKeyReply(BaseModel):
    api_key: str


class AppReply(BaseModel):
    id: str
    name: str
    created_at: str
    feishu: FeishuCredentials
    imkit: ImkitCredentials
    zim: ZimCredentials
    native: NativeCredentials
    settings: dict[str, Any]


class FeishuIds(BaseModel):
    open_id: str
    union_id: str
    user_id: str


class UserReply(BaseModel):
    id: str
    name: str
    is_bot: bool
    registered_at: str
    feishu: FeishuIds


class TokenReply(BaseModel):
    token: str
    expires_at: str


class MessageReply(BaseModel):
    id: str
    chat_id: str
    sender_id: str
    type: str
    content: str
    created_at_ms: int
    recalled_at_ms: int | None
    self_destruct_at_ms: int | None
    visible_to: list[str] | None


class EventReply(BaseModel):
    id: str
    seq: int
    type: str
    audience: str
    created_at_ms: int
    payload: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventReply]
    next_after: int


def render_app(app: App, new: apps.NewApp | None = None) -> dict[str, Any]:
    feishu: dict[str, Any] = {
        "app_id": app.feishu_app_id,
        "bot_open_id": feishu_open_id(app.id, app.bot_user_id),
    }
    imkit: dict[str, Any] = {"client_key": app.imkit_client_key}
    native: dict[str, Any] = {"has_api_key": app.native_api_key_hash is not None}
    if new is not None:  # secrets we keep only hashed are shown once, at creation
        feishu["app_secret"] = new.feishu_app_secret
        imkit["api_key"] = new.imkit_api_key
        native["api_key"] = new.native_api_key
    return {
        "id": app.id,
        "name": app.name,
        "created_at": iso(app.created_at),
        "feishu": feishu,
        "imkit": imkit,
        "zim": {"app_id": app.zim_app_id, "server_secret": app.zim_server_secret},
        "native": native,
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


@router.post(
    "/apps",
    status_code=201,
    response_model=None,
    responses=responses(400, reply=AppReply, status=201),
)
async def create_app(body: AppCreate, deps: DepsDep) -> dict[str, Any]:
    new = await apps.create_app(deps, body.name)
    return render_app(new.app, new)


@router.get("/apps/{app_id}", response_model=None, responses=responses(404, reply=AppReply))
async def get_app(app_id: str, deps: DepsDep) -> dict[str, Any]:
    return render_app(await apps.get_app(deps, app_id))


@router.patch(
    "/apps/{app_id}",
    response_model=None,
    responses=responses(400, 404, reply=AppReply),
)
async def update_app(app_id: str, body: AppUpdate, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    changes = body.model_dump(exclude_none=True)
    if body.native_pin_policy is not None:
        # Only the keys given (``max_pins: null`` included: no cap by default).
        changes["native_pin_policy"] = body.native_pin_policy.model_dump(exclude_unset=True)
    return render_app(await apps.configure_app(deps, app.id, changes))


@router.post(
    "/apps/{app_id}/native-key",
    status_code=201,
    response_model=None,
    responses=responses(404, reply=NativeKeyReply, status=201),
)
async def rotate_native_key(app_id: str, deps: DepsDep) -> dict[str, Any]:
    """A new native API key (shown once); the app's previous key stops working at once."""
    app = await apps.get_app(deps, app_id)
    return {"api_key": await apps.rotate_native_api_key(deps, app.id)}


@router.post(
    "/apps/{app_id}/users",
    status_code=201,
    response_model=None,
    responses=responses(400, 404, 409, reply=UserReply, status=201),
)
async def create_user(app_id: str, body: UserCreate, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    user = await users.create_user(
        deps, app.id, body.id, body.name, is_bot=body.is_bot, avatar=body.avatar
    )
    return render_user(user)


@router.post(
    "/apps/{app_id}/tokens",
    status_code=201,
    response_model=None,
    responses=responses(400, 404, reply=TokenReply, status=201),
)
async def issue_token(app_id: str, body: TokenIssue, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    issued = await tokens.issue_user_token(
        deps, app.id, body.user_id, body.dialect, body.ttl_seconds
    )
    return {"token": issued.value, "expires_at": iso(issued.expires_at)}


@router.patch(
    "/apps/{app_id}/messages/{message_id}",
    response_model=None,
    responses=responses(400, 404, reply=MessageReply),
)
async def update_message(
    app_id: str, message_id: str, body: MessageUpdate, deps: DepsDep
) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    message = await messages.set_message_lifecycle(
        deps, app.id, message_id, expires_at=body.self_destruct_at_ms, visible_to=body.visible_to
    )
    return render_message(message)


@router.get(
    "/apps/{app_id}/events",
    response_model=None,
    responses=responses(400, 404, reply=EventPage),
)
async def list_events(
    app_id: str,
    deps: DepsDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS_PAGE)] = 100,
) -> dict[str, Any]:
    """The app's event outbox after a ``seq`` cursor (oldest first), to poll and resume."""
    app = await apps.get_app(deps, app_id)
    events = await outbox.events_after(deps, app.id, after, limit)
    return {
        "events": [native_event(event_id(app.id, e.seq), e) for e in events],
        "next_after": events[-1].seq if events else after,
    }
