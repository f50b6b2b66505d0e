"""Replay protection for signed requests: each (app, nonce) is accepted once per window."""

from __future__ import annotations

import secrets

from chatpins.core.context import Deps


async def claim_nonce(deps: Deps, app_id: str, nonce: str, window_ms: int) -> bool:
    """Record a request nonce; False when it was already seen within the window (a replay).

    Runs in its own committed transaction, before the request's action, so a replay changes
    nothing whatever happens to the action; the record is in the database, so it survives a
    restart and holds across instances sharing it.
    """
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        fresh = await uow.nonces.claim(app_id, nonce, now, window_ms)
        # Now and then, drop the app's nonces past any window (its own only: one shard).
        if secrets.randbelow(100) == 0:
            await uow.nonces.forget_older_than(app_id, now - window_ms)
    return fresh
