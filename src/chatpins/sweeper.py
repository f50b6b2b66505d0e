"""Runs ``core.services.expiry`` in the background of each server process.

Nothing is kept in memory between rounds: each round asks the database for what is due, so
pins that expired while every instance was down are swept on the first round after a start.
Reads never wait for a round (a pin whose time is up is already gone for them); a round only
writes the history row and the event, within ``poll_seconds`` of the pin's time.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from chatpins.core.context import Deps
from chatpins.core.services import expiry

log = structlog.get_logger(__name__)


class PinSweeper:
    def __init__(self, deps: Deps, *, poll_seconds: float = 0.5) -> None:
        self._deps = deps
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await expiry.sweep_expired(self._deps) > 0:
                    pass  # a full round: more may be due at once
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("pin_sweep_failed")
            await asyncio.sleep(self._poll)
