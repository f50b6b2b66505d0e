"""Tenants: create, look up, configure, rotate their secrets."""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from enum import StrEnum
from typing import Any

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import App, TokenKind, User
from chatpins.core.errors import InvalidArgument, NotFound, Reason, Unauthenticated
from chatpins.core.events import emit_token_revoked
from chatpins.core.identity import hash_secret
from chatpins.core.ports import UnitOfWork
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


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Every credential of an app in clear, chosen by the caller (the local demo app, a
    declared fixture) instead of generated. Those that only need checking are stored hashed."""

    app_id: str  # app_…
    feishu_app_id: str  # cli_ + 16 hex: the Feishu token endpoint refuses other forms
    feishu_app_secret: str
    imkit_client_key: str
    imkit_api_key: str
    zim_app_id: int  # a uint32
    zim_server_secret: str
    native_api_key: str  # cpk_…


class SecretKind(StrEnum):
    """The secrets ``rotate_secret`` replaces: one per dialect that has one."""

    FEISHU = "feishu"  # app_secret (stored hashed)
    IMKIT = "imkit"  # platform API key (stored hashed)
    NATIVE = "native"  # native API key cpk_… (stored hashed)
    ZIM = "zim"  # ServerSecret (stored as is: ZIM signatures need it)


def _imkit_client_key(app_id: str) -> str:
    """IMKit client keys look like JWTs; ours carry the app id and a random tail."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"appId": app_id, "nonce": secrets.token_hex(8)}).encode())
    return f"{header}.{payload}.{b64(secrets.token_bytes(32))}"


def new_credentials(deps: Deps) -> Credentials:
    app_id = "app_" + deps.ids.hex(16)
    return Credentials(
        app_id=app_id,
        feishu_app_id="cli_" + deps.ids.hex(16),
        feishu_app_secret=_new_feishu_app_secret(deps),
        imkit_client_key=_imkit_client_key(app_id),
        imkit_api_key=_new_imkit_api_key(),
        # A ten-digit uint32, like the vendor's AppIds.
        zim_app_id=1_000_000_000 + secrets.randbelow(2**32 - 1_000_000_000),
        zim_server_secret=_new_zim_server_secret(deps),
        native_api_key=new_native_api_key(deps),
    )


def _new_feishu_app_secret(deps: Deps) -> str:
    return deps.ids.alnum(32)  # Feishu's: 32 letters and digits


def _new_imkit_api_key() -> str:
    return base64.b64encode(secrets.token_bytes(33)).decode()


def _new_zim_server_secret(deps: Deps) -> str:
    return deps.ids.hex(32)  # ZIM's: 32 lowercase hex characters


def new_app(name: str, credentials: Credentials, now: int) -> App:
    """The app entity with these credentials, those that only need checking as hashes."""
    return App(
        id=credentials.app_id,
        name=name,
        created_at=now,
        feishu_app_id=credentials.feishu_app_id,
        feishu_secret_hash=hash_secret(credentials.feishu_app_secret),
        imkit_client_key=credentials.imkit_client_key,
        imkit_api_key_hash=hash_secret(credentials.imkit_api_key),
        zim_app_id=credentials.zim_app_id,
        zim_server_secret=credentials.zim_server_secret,
        native_api_key_hash=hash_secret(credentials.native_api_key),
    )


async def create_app(deps: Deps, name: str, credentials: Credentials | None = None) -> NewApp:
    """A new app with its bot; ``credentials`` fixes every credential (else all generated)."""
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidArgument(Reason.INVALID_APP_NAME, "name must be 1-255 characters")
    now = deps.clock.now_ms()
    given = credentials or new_credentials(deps)
    app = new_app(name, given, now)
    bot = new_user(app.id, app.bot_user_id, f"{name} bot", now, is_bot=True)
    async with deps.uow(write=True) as uow:
        await uow.apps.add(app)
        await uow.users.add(bot)
    return NewApp(app, given.feishu_app_secret, given.imkit_api_key, given.native_api_key)


async def list_apps(deps: Deps) -> list[App]:
    """Every app, oldest first."""
    async with deps.uow() as uow:
        return await uow.apps.list_all()


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


async def rotate_secret(deps: Deps, app_id: str, kind: SecretKind) -> str:
    """A new secret of one kind for the app, returned once; the old one stops working at once.

    Feishu: the tenant and app access tokens issued with the old app_secret are revoked in the
    same transaction (Feishu documents nothing about tokens outliving a secret reset; a token
    that keeps working after its secret was replaced is what a rotation is meant to end), and
    ``token.revoked`` closes the event streams opened with them.
    """
    if kind is SecretKind.NATIVE:
        return await rotate_native_api_key(deps, app_id)
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        if kind is SecretKind.FEISHU:
            value = _new_feishu_app_secret(deps)
            changed = dataclasses.replace(app, feishu_secret_hash=hash_secret(value))
        elif kind is SecretKind.IMKIT:
            value = _new_imkit_api_key()
            changed = dataclasses.replace(app, imkit_api_key_hash=hash_secret(value))
        else:
            value = _new_zim_server_secret(deps)
            changed = dataclasses.replace(app, zim_server_secret=value)
        await uow.apps.update(changed)
        if kind is SecretKind.FEISHU:
            now = deps.now(app)
            for token_kind in (TokenKind.TENANT, TokenKind.APP):
                count = await _revoke_app_tokens(uow, app.id, token_kind, now)
                if count:
                    await emit_token_revoked(
                        uow,
                        app,
                        now,
                        user_id=app.bot_user_id,
                        kind=token_kind.value,
                        dialect="feishu",
                        count=count,
                        reason="secret_rotated",
                    )
    return value


async def _revoke_app_tokens(uow: UnitOfWork, app_id: str, kind: TokenKind, now: int) -> int:
    """Revoke the app's live Feishu tokens of ``kind``, newest first. A new one is issued only
    when the newest has under 30 minutes left of its 2 hours, so at most a few are live; once
    the newest unrevoked one has expired, every older one has too."""
    count = 0
    while (token := await uow.tokens.latest(app_id, kind, "feishu")) is not None:
        if token.expires_at <= now:
            break
        await uow.tokens.update(dataclasses.replace(token, revoked_at=now))
        count += 1
    return count


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


async def platform_of(deps: Deps, app_id: str, dialect: str) -> Actor:
    """The app's platform (its bot, with an owner's rights in every chat), for a caller the
    server trusts with the whole app: the admin console acts as it."""
    async with deps.uow() as uow:
        app = await uow.apps.get(app_id)
        bot = await uow.users.get(app.id, app.bot_user_id) if app is not None else None
    if app is None or bot is None:
        raise NotFound(Reason.APP_NOT_FOUND, app_id)
    return Actor(app, bot, dialect, is_platform=True)


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


async def ensure_demo_app(deps: Deps, credentials: Credentials | None = None) -> NewApp | None:
    """On an empty database, create a demo app (with ``credentials`` when given); otherwise do
    nothing."""
    async with deps.uow() as uow:
        if await uow.apps.count() > 0:
            return None
    return await create_app(deps, DEMO_APP_NAME, credentials)


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
