"""An app's own clock, moved by a test suite: tokens, pins, conversation pins and rate windows
of that app expire or pass without the test sleeping.

The clock is stored on the app (``App.clock``), so every request and the sweeper read the same
time and a restart keeps it. Only where test controls are on (``Deps.app_clocks``): elsewhere
these use cases refuse and every app runs on the real time.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core.context import Deps
from chatpins.core.entities import MAX_TIME_MS, App, AppClock
from chatpins.core.errors import InvalidArgument, NotFound, PermissionDenied, Reason


@dataclass(frozen=True)
class ClockReading:
    app_id: str
    now_ms: int
    frozen: bool
    offset_ms: int  # how far the app's time is ahead of the real time (behind: negative)


@dataclass(frozen=True)
class ClockChange:
    """What a test asks of an app's clock. At most one of ``now_ms`` (the app's time becomes
    this), ``offset_ms`` (run this far from the real time) and ``advance_ms`` (move on by this,
    adding up with parallel moves); ``frozen``: stop (True) or run (False) from the new time,
    None: as it was."""

    now_ms: int | None = None
    offset_ms: int | None = None
    advance_ms: int | None = None
    frozen: bool | None = None


def _require_enabled(deps: Deps) -> None:
    if not deps.app_clocks:
        raise PermissionDenied(
            Reason.TEST_CONTROLS_DISABLED,
            "an app's clock moves only where test controls are on (--test-controls)",
        )


async def read_clock(deps: Deps, app_id: str) -> ClockReading:
    _require_enabled(deps)
    async with deps.uow() as uow:
        app = await uow.apps.get(app_id)
    if app is None:
        raise NotFound(Reason.APP_NOT_FOUND, app_id)
    return _reading(deps, app)


async def set_clock(deps: Deps, app_id: str, change: ClockChange) -> ClockReading:
    _require_enabled(deps)
    given = [v for v in (change.now_ms, change.offset_ms, change.advance_ms) if v is not None]
    if len(given) > 1:
        raise InvalidArgument(
            Reason.INVALID_CLOCK, "give at most one of now_ms, offset_ms, advance_ms"
        )
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        if app is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        if change.advance_ms is not None and change.frozen is None:
            # One statement: parallel advances add up instead of overwriting each other.
            await uow.apps.advance_clock(app_id, change.advance_ms)
        else:
            await uow.apps.set_clock(app_id, _moved(deps, app.clock, change))
        app = await uow.apps.get(app_id)
        assert app is not None  # read in the same transaction that found it
        reading = _reading(deps, app)
        # Every dialect renders the app's times as dates: refused (and rolled back) beyond the
        # last millisecond of year 9999 or before 1970.
        if not 0 <= reading.now_ms <= MAX_TIME_MS:
            raise InvalidArgument(Reason.INVALID_CLOCK, f"the app's time must be 0-{MAX_TIME_MS}")
    return reading


def _moved(deps: Deps, clock: AppClock, change: ClockChange) -> AppClock:
    real = deps.clock.now_ms()
    now = clock.read(real)
    if change.now_ms is not None:
        now = change.now_ms
    elif change.offset_ms is not None:
        now = real + change.offset_ms
    elif change.advance_ms is not None:
        now += change.advance_ms
    frozen = clock.frozen_at_ms is not None if change.frozen is None else change.frozen
    return AppClock(now - real, now if frozen else None)


def _reading(deps: Deps, app: App) -> ClockReading:
    real = deps.clock.now_ms()
    now = app.clock.read(real)
    return ClockReading(app.id, now, app.clock.frozen_at_ms is not None, now - real)
