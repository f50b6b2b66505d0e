"""Several pin changes of one chat in one transaction, with per-item results, and the
Idempotency-Key that makes a retried batch apply once.

Each operation's refusals come before its first write (``pins.pin_within``,
``pins.unpin_checked``), so a refused operation leaves nothing behind and the others still
apply: ZIM's partial-success shape, in one commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import JsonObject
from chatpins.core.errors import ChatpinsError, Conflict, InvalidArgument, Reason
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import pin_lists, pins

MAX_OPERATIONS = 50
IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Operation:
    op: Literal["pin", "unpin"]
    message_id: str
    options: pins.PinOptions = pins.PinOptions()


@dataclass
class Result:
    message_id: str
    outcome: pins.PinOutcome | None = None  # a pin that went through
    error: ChatpinsError | None = None


@dataclass
class BatchOutcome:
    version: int
    results: list[Result]
    acks: dict[int, int]  # pin id -> acks of current members, for the pins in the results
    members: int


@dataclass(frozen=True)
class Idempotency:
    """A client's key for one request. Keys are scoped to whoever sends them (the api key, or
    one user): nobody is answered another credential's stored reply."""

    key: str
    request_hash: str  # of the request (path and body): another request with the key is refused

    def scoped(self, actor: Actor) -> str:
        sender = "*" if actor.is_platform else f"u:{actor.user.id}"
        return hashlib.sha256(f"{sender}\n{self.key}".encode()).hexdigest()


async def run_batch(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    operations: list[Operation],
    render: Callable[[BatchOutcome], JsonObject],
    *,
    expected_version: int | None = None,
    idempotency: Idempotency | None = None,
) -> JsonObject:
    """Apply the operations in order; the reply ``render`` makes of the outcome. With an
    idempotency key, that reply is stored in the same transaction and answered again."""
    if not 1 <= len(operations) <= MAX_OPERATIONS:
        raise InvalidArgument(Reason.INVALID_BATCH, f"1-{MAX_OPERATIONS} operations")
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        # The chat's lock first: batches with one key then run one after the other, and the
        # second finds the first's reply.
        chat, _member = await pin_lists.chat_for(uow, actor, chat_id, for_update=True)
        if idempotency is not None:
            stored = await uow.idempotency.get(
                actor.app_id, idempotency.scoped(actor), now - IDEMPOTENCY_WINDOW_MS
            )
            if stored is not None:
                request_hash, reply = stored
                if request_hash != idempotency.request_hash:
                    raise Conflict(Reason.IDEMPOTENCY_KEY_REUSED, idempotency.key)
                reply_object: JsonObject = reply
                return reply_object
        pins.require_version(chat, expected_version)
        results = [await _apply(uow, deps, actor, chat.id, op, now) for op in operations]
        after = await uow.chats.get(actor.app_id, chat.id)
        assert after is not None
        pinned = [r.outcome.pin for r in results if r.outcome is not None]
        acks, members = await pins.counts_within(uow, actor.app_id, chat.id, pinned)
        reply = render(BatchOutcome(after.pin_version, results, acks, members))
        if idempotency is not None:
            await uow.idempotency.put(
                actor.app_id, idempotency.scoped(actor), idempotency.request_hash, reply, now
            )
        return reply


async def _apply(
    uow: UnitOfWork, deps: Deps, actor: Actor, chat_id: str, op: Operation, now: int
) -> Result:
    try:
        if op.op == "pin":
            options = dataclasses.replace(op.options, chat_id=chat_id)
            outcome = await pins.pin_within(uow, deps, actor, op.message_id, options, now)
            return Result(op.message_id, outcome=outcome)
        await pins.unpin_checked(uow, deps, actor, op.message_id, now, chat_id, must_be_pinned=True)
        return Result(op.message_id)
    except ChatpinsError as exc:
        return Result(op.message_id, error=exc)
