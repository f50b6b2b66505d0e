"""Access tokens: issued, stored as hashes, checked on every request."""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core.context import Deps
from chatpins.core.entities import App, Event, Token, TokenKind, User
from chatpins.core.errors import Conflict, InvalidArgument, NotFound, Reason, Unauthenticated
from chatpins.core.events import EventType, emit_token_revoked
from chatpins.core.identity import derive_token, hash_secret, secrets_match
from chatpins.core.ports import UnitOfWork

APP_TOKEN_TTL_S = 7200  # Feishu: at most 2 h
APP_TOKEN_REUSE_MIN_S = 1800  # Feishu: the same token comes back while ≥ 30 min are left
USER_TOKEN_TTL_S = 7200
MAX_USER_TOKEN_TTL_S = 30 * 24 * 3600

MAX_BOUND_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class UserTokenFormat:
    """The wire form of a dialect's user tokens, which the dialect declares when it is loaded
    (``register_user_tokens``): core issues and checks tokens without knowing any vendor."""

    prefix: str = ""
    ttl_s: int = USER_TOKEN_TTL_S


_USER_TOKEN_FORMATS: dict[str, UserTokenFormat] = {}


def register_user_tokens(dialect: str, token_format: UserTokenFormat) -> None:
    """Declare that ``dialect`` issues user tokens, and their form."""
    _USER_TOKEN_FORMATS[dialect] = token_format


def user_token_dialects() -> tuple[str, ...]:
    """The dialects that issue user tokens, in the order they were registered."""
    return tuple(_USER_TOKEN_FORMATS)


def _format_of(dialect: str) -> UserTokenFormat:
    found = _USER_TOKEN_FORMATS.get(dialect)
    if found is None:
        raise InvalidArgument(Reason.UNSUPPORTED_DIALECT, dialect)
    return found


@dataclass(frozen=True)
class IssuedToken:
    value: str
    expires_at: int  # ms
    expires_in: int  # seconds left


@dataclass(frozen=True)
class Identity:
    app: App
    user: User
    token: Token


async def issue_user_token(
    deps: Deps, app_id: str, user_id: str, dialect: str, ttl_seconds: int | None = None
) -> IssuedToken:
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        if await uow.users.get(app_id, user_id) is None:
            raise NotFound(Reason.USER_NOT_FOUND, user_id)
        return await issue_within(uow, deps, app, user_id, dialect, ttl_seconds)


async def issue_within(
    uow: UnitOfWork,
    deps: Deps,
    app: App,
    user_id: str,
    dialect: str,
    ttl_seconds: int | None = None,
) -> IssuedToken:
    """Issue a new user token inside an open unit of work (the user must exist)."""
    token_format = _format_of(dialect)
    ttl = token_format.ttl_s if ttl_seconds is None else ttl_seconds
    if not 1 <= ttl <= MAX_USER_TOKEN_TTL_S:
        raise InvalidArgument(Reason.INVALID_TTL, f"ttl_seconds must be 1-{MAX_USER_TOKEN_TTL_S}")
    value = token_format.prefix + deps.ids.hex(40)
    now = deps.now(app)
    await uow.tokens.add(
        Token(
            token_hash=hash_secret(value),
            app_id=app.id,
            kind=TokenKind.USER,
            dialect=dialect,
            user_id=user_id,
            issued_at=now,
            expires_at=now + ttl * 1000,
        )
    )
    return IssuedToken(value, now + ttl * 1000, ttl)


async def bind_within(
    uow: UnitOfWork,
    deps: Deps,
    app: App,
    user_id: str,
    dialect: str,
    value: str,
    expires_at: int | None,
    *,
    replace_others: bool = False,
) -> IssuedToken:
    """Bind a caller-made token to a user (IMKit lets the platform choose its users' tokens).

    A token already bound to another user (of any app: token hashes are global) is a conflict;
    binding the same token to the same user again renews it. ``replace_others`` revokes the
    user's other tokens of the dialect in the same transaction.
    """
    if not value or len(value) > MAX_BOUND_TOKEN_LENGTH:
        raise InvalidArgument(Reason.INVALID_TOKEN_VALUE, f"1-{MAX_BOUND_TOKEN_LENGTH} characters")
    app_id, now = app.id, deps.now(app)
    if expires_at is None:
        expires_at = now + _format_of(dialect).ttl_s * 1000
    token_hash = hash_secret(value)
    existing = await uow.tokens.get(token_hash)
    if existing is not None and (
        existing.app_id != app_id or existing.user_id != user_id or existing.dialect != dialect
    ):
        raise Conflict(Reason.TOKEN_CONFLICT)
    replaced = 0
    if replace_others:
        replaced = await uow.tokens.revoke_for_user(
            app_id, user_id, dialect, now, keep_hash=token_hash
        )
    token = Token(
        token_hash=token_hash,
        app_id=app_id,
        kind=TokenKind.USER,
        dialect=dialect,
        user_id=user_id,
        issued_at=now,
        expires_at=expires_at,
    )
    if existing is None:
        await uow.tokens.add(token)
    else:
        await uow.tokens.update(token)
    if replaced:
        await _revoked(uow, app_id, user_id, dialect, now, replaced, "replaced")
    return IssuedToken(value, expires_at, max(0, (expires_at - now) // 1000))


async def bind_user_token(
    deps: Deps, app_id: str, user_id: str, dialect: str, value: str, expires_at: int | None
) -> IssuedToken:
    """Bind (or replace) a user's token: the user's earlier tokens of the dialect stop working."""
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None or await uow.users.get(app_id, user_id) is None:
            raise NotFound(Reason.USER_NOT_FOUND, user_id)
        return await bind_within(
            uow, deps, app, user_id, dialect, value, expires_at, replace_others=True
        )


async def revoke_user_tokens(
    deps: Deps, app_id: str, user_id: str, dialect: str, value: str | None = None
) -> int:
    """Revoke one token of a user (``value``) or all of them; return how many were live."""
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None or await uow.users.get(app_id, user_id) is None:
            raise NotFound(Reason.USER_NOT_FOUND, user_id)
        now = deps.now(app)
        only = hash_secret(value) if value is not None else None
        count = await uow.tokens.revoke_for_user(app_id, user_id, dialect, now, only_hash=only)
        if count:
            await _revoked(uow, app_id, user_id, dialect, now, count, "revoked")
        return count


async def _revoked(
    uow: UnitOfWork, app_id: str, user_id: str, dialect: str, now: int, count: int, reason: str
) -> None:
    """The revocation's event, in its transaction: open streams close on every instance."""
    app = await uow.apps.get(app_id)
    if app is None:
        raise NotFound(Reason.APP_NOT_FOUND, app_id)
    await emit_token_revoked(
        uow,
        app,
        now,
        user_id=user_id,
        kind=TokenKind.USER,
        dialect=dialect,
        count=count,
        reason=reason,
    )


def may_revoke(event: Event, token: Token) -> bool:
    """Whether ``event`` may have revoked ``token``. It names the user and the kind of token,
    not which one (a user may hold several), so the holder checks with ``is_live``."""
    if event.type != EventType.TOKEN_REVOKED:
        return False
    payload = event.payload
    return (
        payload.get("user_id") == token.user_id
        and payload.get("token_kind") == token.kind
        and payload.get("token_dialect") == token.dialect
    )


async def is_live(deps: Deps, token: Token) -> bool:
    """Whether ``token`` still works, read from the database: the identity memory hears of
    another instance's revocation only within a second, too late for a credential in long use
    (an open event stream) that checks once when told of a revocation."""
    async with deps.uow() as uow:
        stored = await uow.tokens.get(token.token_hash)
        app = await uow.apps.get(token.app_id)
    return (
        stored is not None
        and app is not None
        and stored.revoked_at is None
        and stored.expires_at > deps.now(app)
    )


async def issue_app_token(
    deps: Deps, feishu_app_id: str, secret: str, kind: TokenKind = TokenKind.TENANT
) -> IssuedToken:
    """Feishu's tenant/app access token for a self-built app, checked against its secret."""
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get_by_feishu_app_id(feishu_app_id)
        if app is None:
            raise Unauthenticated(Reason.UNKNOWN_APP, feishu_app_id)
        if not secrets_match(secret, app.feishu_secret_hash):
            raise Unauthenticated(Reason.WRONG_SECRET, feishu_app_id)
        now = deps.now(app)
        current = await uow.tokens.latest(app.id, kind, "feishu")
        if current is not None and current.expires_at - now >= APP_TOKEN_REUSE_MIN_S * 1000:
            value = "t-" + derive_token(secret, current.nonce, 40)
            return IssuedToken(value, current.expires_at, (current.expires_at - now) // 1000)
        nonce = deps.ids.hex(32)
        value = "t-" + derive_token(secret, nonce, 40)
        expires_at = now + APP_TOKEN_TTL_S * 1000
        await uow.tokens.add(
            Token(
                token_hash=hash_secret(value),
                app_id=app.id,
                kind=kind,
                dialect="feishu",
                user_id=app.bot_user_id,
                issued_at=now,
                expires_at=expires_at,
                nonce=nonce,
            )
        )
    return IssuedToken(value, expires_at, APP_TOKEN_TTL_S)


async def authenticate(deps: Deps, value: str, dialect: str) -> Identity:
    """The app and user a token acts for. Unknown, revoked, other-dialect → ``unknown_token``."""
    # The memory of recent identities keeps the real time; the token's expiry, the app's.
    token_hash, real_now = hash_secret(value), deps.clock.now_ms()
    identity: Identity | None = deps.identities.get(token_hash, real_now)
    if identity is None:
        async with deps.uow() as uow:
            token = await uow.tokens.get(token_hash)
            if token is None or token.revoked_at is not None:
                raise Unauthenticated(Reason.UNKNOWN_TOKEN)
            app = await uow.apps.get(token.app_id)
            user = await uow.users.get(token.app_id, token.user_id or "")
        if app is None or user is None:
            raise Unauthenticated(Reason.UNKNOWN_TOKEN)
        identity = Identity(app, user, token)
        deps.identities.put(token_hash, identity, real_now)
    if identity.token.dialect != dialect:
        raise Unauthenticated(Reason.UNKNOWN_TOKEN)
    if identity.token.expires_at <= deps.now(identity.app):
        raise Unauthenticated(Reason.EXPIRED_TOKEN)
    return identity
