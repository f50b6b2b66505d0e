"""Outbox helper: every change writes its event in the transaction that makes it."""

from __future__ import annotations

from typing import Any

from chatpins.core.context import Actor
from chatpins.core.entities import Event
from chatpins.core.ports import UnitOfWork


async def emit(
    uow: UnitOfWork, actor: Actor, at: int, type_: str, audience: str, **payload: Any
) -> int:
    payload = {"actor": actor.user.id, "dialect": actor.dialect, "at": at, **payload}
    return await uow.events.append(actor.app_id, Event(type_, payload, audience), at)


def chat_audience(chat_id: str) -> str:
    return f"chat:{chat_id}"
