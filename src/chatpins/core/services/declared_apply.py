"""Applying a declared state (``declared_state``): apps and their credentials, users, then each
chat (``declared_chats``) with its pins, then each user's conversation pins (``declared_pins``),
all in one unit of work."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chatpins.core.context import Deps
from chatpins.core.entities import App, User
from chatpins.core.errors import ChatpinsError
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import apps as app_service
from chatpins.core.services import declared_chats, declared_pins
from chatpins.core.services.declared_state import (
    DeclarationRefused,
    DeclaredApp,
    DeclaredState,
    Path,
    check_shape,
)
from chatpins.core.services.users import new_user


@dataclass
class AppliedApp:
    """What applying one declared app did."""

    app: App
    created: bool
    # What changed, counted by kind ("user.created", "pin.added", …); empty: nothing did.
    changes: Counter[str] = field(default_factory=Counter)
    # Secrets a new app got because the declaration gave none (shown once: only hashes stay).
    generated: dict[str, str] = field(default_factory=dict)


async def apply_declared(deps: Deps, state: DeclaredState) -> list[AppliedApp]:
    """Make the declared state true, every app in one unit of work (``declared_state``)."""
    check_shape(state)
    applied: list[AppliedApp] = []
    async with deps.uow(write=True) as uow:
        for index, spec in enumerate(state.apps):
            applied.append(await _apply_app(uow, deps, spec, ("apps", index)))
    return applied


async def _apply_app(uow: UnitOfWork, deps: Deps, spec: DeclaredApp, at: Path) -> AppliedApp:
    result = await _store_app(uow, deps, spec, at)
    app, changes = result.app, result.changes
    now = deps.now(app)
    await _apply_users(uow, app, spec, now, changes)
    for index, chat in enumerate(spec.chats):
        where = (*at, "chats", index)
        try:
            await declared_chats.apply_chat(uow, app, chat, where, now, changes)
        except ChatpinsError as exc:  # a rule the chat's own use cases apply (an admin cap)
            raise DeclarationRefused(where, _why(exc)) from exc
    for index, user in enumerate(spec.users):
        where = (*at, "users", index, "conversation_pins")
        await declared_pins.apply_conversation_pins(uow, app, user, where, now, changes)
    return result


def _why(exc: ChatpinsError) -> str:
    return f"{exc.reason.value}: {exc.detail}" if exc.detail else exc.reason.value


async def _store_app(uow: UnitOfWork, deps: Deps, spec: DeclaredApp, at: Path) -> AppliedApp:
    await _require_free_credentials(uow, spec, at)
    existing = await uow.apps.get(spec.id)
    if existing is None:
        return await _create_app(uow, deps, spec)
    if spec.feishu.app_id is not None and spec.feishu.app_id != existing.feishu_app_id:
        raise DeclarationRefused(
            (*at, "feishu", "app_id"),
            f"app '{spec.id}' has Feishu app id '{existing.feishu_app_id}', which is also its "
            "bot user's id and cannot change (declare a new app id instead)",
        )
    declared = dataclasses.replace(
        existing, name=spec.name, **spec.settings, **_declared_credentials(spec)
    )
    result = AppliedApp(declared, created=False)
    if declared != existing:
        await uow.apps.update(declared)
        result.changes["app.updated"] += 1
    return result


def _declared_credentials(spec: DeclaredApp) -> dict[str, Any]:
    """The credential columns the declaration fixes (the others keep their value)."""
    given: dict[str, Any] = {
        "feishu_app_id": spec.feishu.app_id,
        "feishu_secret_hash": spec.feishu.app_secret.hashed,
        "imkit_client_key": spec.imkit.client_key,
        "imkit_api_key_hash": spec.imkit.api_key.hashed,
        "zim_app_id": spec.zim.app_id,
        "zim_server_secret": spec.zim.server_secret,
        "native_api_key_hash": spec.native.api_key.hashed,
    }
    return {k: v for k, v in given.items() if v is not None}


async def _create_app(uow: UnitOfWork, deps: Deps, spec: DeclaredApp) -> AppliedApp:
    # Every credential generated as ``create_app`` generates it, then the declared ones win.
    fresh = app_service.new_credentials(deps)
    now = deps.clock.now_ms()  # a new app runs on the real time
    app = app_service.new_app(spec.name, dataclasses.replace(fresh, app_id=spec.id), now)
    app = dataclasses.replace(app, **spec.settings, **_declared_credentials(spec))
    generated = {
        "feishu.app_secret": (spec.feishu.app_secret, fresh.feishu_app_secret),
        "imkit.api_key": (spec.imkit.api_key, fresh.imkit_api_key),
        "native.api_key": (spec.native.api_key, fresh.native_api_key),
    }
    await uow.apps.add(app)
    await uow.users.add(new_user(app.id, app.bot_user_id, f"{app.name} bot", now, is_bot=True))
    result = AppliedApp(
        app,
        created=True,
        generated={k: value for k, (given, value) in generated.items() if given.hashed is None},
    )
    result.changes["app.created"] += 1
    return result


async def _require_free_credentials(uow: UnitOfWork, spec: DeclaredApp, at: Path) -> None:
    """Refuse a credential another app holds: each names one app (they are looked up by)."""
    repo = uow.apps
    lookups: list[tuple[Path, str, Any, Callable[[Any], Awaitable[App | None]]]] = [
        (("feishu", "app_id"), "Feishu app id", spec.feishu.app_id, repo.get_by_feishu_app_id),
        (
            ("imkit", "client_key"),
            "IMKit client key",
            spec.imkit.client_key,
            repo.get_by_imkit_client_key,
        ),
        (
            ("imkit", "api_key"),
            "IMKit API key",
            spec.imkit.api_key.hashed,
            repo.get_by_imkit_api_key_hash,
        ),
        (("zim", "app_id"), "ZIM AppId", spec.zim.app_id, repo.get_by_zim_app_id),
        (
            ("native", "api_key"),
            "native API key",
            spec.native.api_key.hashed,
            repo.get_by_native_api_key_hash,
        ),
    ]
    for where, what, value, lookup in lookups:
        holder = await lookup(value) if value is not None else None
        if holder is not None and holder.id != spec.id:
            raise DeclarationRefused((*at, *where), f"this {what} belongs to app '{holder.id}'")


async def _apply_users(
    uow: UnitOfWork, app: App, spec: DeclaredApp, now: int, changes: Counter[str]
) -> None:
    for declared in spec.users:
        wanted = new_user(
            app.id, declared.id, declared.name, now, is_bot=declared.is_bot, avatar=declared.avatar
        )
        user = await uow.users.get(app.id, declared.id)
        if user is None:
            await uow.users.add(wanted)
            changes["user.created"] += 1
        elif _profile(user) != _profile(wanted):
            await uow.users.update(dataclasses.replace(wanted, registered_at=user.registered_at))
            changes["user.updated"] += 1


def _profile(user: User) -> tuple[str, str, bool]:
    return user.name, user.avatar, user.is_bot
