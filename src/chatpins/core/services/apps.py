"""Tenants: create, look up, configure."""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from typing import Any

from chatpins.core.context import Deps
from chatpins.core.entities import App, User
from chatpins.core.errors import InvalidArgument, NotFound, Reason, Unauthenticated
from chatpins.core.identity import hash_secret
from chatpins.core.services.users import new_user

DEMO_APP_NAME = "demo"
NATIVE_API_KEY_PREFIX = "cpk_"
ZIM_APP_ID_MAX = 2**32 - 1

# Settings a tenant may change after creation, with the type each must have.
CONFIGURABLE: dict[str, type] = {
    "name": str,
    "bot_enabled": bool,
    "pin_scope_granted": bool,
    "unavailable_user_ids": list,
    "api_rate_per_second": int,
    "api_rate_per_minute": int,
    "message_rate_per_second": int,
    "zim_rate_limits": bool,
    "conversation_pin_cap": int,
    # The default pin policy of chats made through the native API (checked by that API).
    "native_pin_policy": dict,
}


@dataclasses.dataclass(frozen=True)
class NewApp:
    app: App
    # Shown once; only their hashes are stored.
    feishu_app_secret: str
    imkit_api_key: str
    native_api_key: str


def _imkit_client_key(app_id: str) -> str:
    """IMKit client keys look like JWTs; ours carry the app id and a random tail."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"appId": app_id, "nonce": secrets.token_hex(8)}).encode())
    return f"{header}.{payload}.{b64(secrets.token_bytes(32))}"


async def create_app(deps: Deps, name: str) -> NewApp:
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidArgument(Reason.INVALID_APP_NAME, "name must be 1-255 characters")
    now = deps.clock.now_ms()
    secret = deps.ids.alnum(32)
    api_key = base64.b64encode(secrets.token_bytes(33)).decode()
    native_key = new_native_api_key(deps)
    app_id = "app_" + deps.ids.hex(16)
    app = App(
        id=app_id,
        name=name,
        created_at=now,
        feishu_app_id="cli_" + deps.ids.hex(16),
        feishu_secret_hash=hash_secret(secret),
        imkit_client_key=_imkit_client_key(app_id),
        imkit_api_key_hash=hash_secret(api_key),
        # A ten-digit uint32, like the vendor's AppIds.
        zim_app_id=1_000_000_000 + secrets.randbelow(2**32 - 1_000_000_000),
        zim_server_secret=deps.ids.hex(32),
        native_api_key_hash=hash_secret(native_key),
    )
    bot = new_user(app.id, app.bot_user_id, f"{name} bot", now, is_bot=True)
    async with deps.uow(write=True) as uow:
        await uow.apps.add(app)
        await uow.users.add(bot)
    return NewApp(app, secret, api_key, native_key)


def new_native_api_key(deps: Deps) -> str:
    return NATIVE_API_KEY_PREFIX + deps.ids.hex(40)


async def rotate_native_api_key(deps: Deps, app_id: str) -> str:
    """A new native API key for the app; the old one stops working at once."""
    value = new_native_api_key(deps)
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        await uow.apps.update(dataclasses.replace(app, native_api_key_hash=hash_secret(value)))
    return value


async def authenticate_api_key(deps: Deps, value: str) -> tuple[App, User]:
    """The app a native API key belongs to, and the app's bot (the platform acts as it)."""
    key_hash, now = hash_secret(value), deps.clock.now_ms()
    found: tuple[App, User] | None = deps.identities.get(key_hash, now)
    if found is None:
        async with deps.uow() as uow:
            app = await uow.apps.get_by_native_api_key_hash(key_hash)
            bot = await uow.users.get(app.id, app.bot_user_id) if app is not None else None
        if app is None or bot is None:
            raise Unauthenticated(Reason.UNKNOWN_CREDENTIALS)
        found = (app, bot)
        deps.identities.put(key_hash, found, now)
    return found


async def get_app(deps: Deps, ref: str) -> App:
    """By chatpins id (``app_…``), Feishu app id (``cli_…``) or ZIM AppId (decimal)."""
    async with deps.uow() as uow:
        app = await uow.apps.get(ref) or await uow.apps.get_by_feishu_app_id(ref)
        # A ZIM AppId is a uint32 in ASCII digits ("²".isdigit() is true, int() refuses it).
        if app is None and ref.isascii() and ref.isdigit() and int(ref) <= ZIM_APP_ID_MAX:
            app = await uow.apps.get_by_zim_app_id(int(ref))
    if app is None:
        raise NotFound(Reason.APP_NOT_FOUND, ref)
    return app


async def configure_app(deps: Deps, app_id: str, changes: dict[str, Any]) -> App:
    for key, value in changes.items():
        expected = CONFIGURABLE.get(key)
        if expected is None:
            raise InvalidArgument(Reason.UNKNOWN_SETTING, key)
        # bool is an int in Python; a rate given as true/false is a mistake, not a number.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise InvalidArgument(Reason.INVALID_SETTING, f"{key} must be {expected.__name__}")
        if isinstance(value, int) and value < 0:
            raise InvalidArgument(Reason.INVALID_SETTING, f"{key} must be >= 0")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise InvalidArgument(Reason.INVALID_SETTING, f"{key} must be a list of strings")
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        app = dataclasses.replace(app, **changes)
        await uow.apps.update(app)
    return app


async def ensure_demo_app(deps: Deps) -> NewApp | None:
    """On an empty database, create a demo app; otherwise do nothing."""
    async with deps.uow() as uow:
        if await uow.apps.count() > 0:
            return None
    return await create_app(deps, DEMO_APP_NAME)


async def find_app_by_credential(deps: Deps, kind: str, value: str) -> App | None:
    """The app an IMKit client key, IMKit API key or ZIM AppId belongs to, if any."""
    async with deps.uow() as uow:
        if kind == "imkit_client_key":
            return await uow.apps.get_by_imkit_client_key(value)
        if kind == "imkit_api_key":
            return await uow.apps.get_by_imkit_api_key_hash(hash_secret(value))
        if kind == "native_api_key":
            return await uow.apps.get_by_native_api_key_hash(hash_secret(value))
        if kind == "zim_app_id":
            return await uow.apps.get_by_zim_app_id(int(value))
    raise InvalidArgument(Reason.UNKNOWN_CREDENTIAL_KIND, kind)
