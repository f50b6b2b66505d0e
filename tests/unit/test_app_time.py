"""How far an app's clock runs ahead of the real time, read once: a stream's expiry timer waits
that much less (or more) than the token's expiry in app time."""

from __future__ import annotations

from typing import Any, cast

from chatpins.core.context import Deps
from chatpins.core.entities import App, AppClock
from chatpins.core.recent import Recent


class TickingClock:
    """Every reading a millisecond after the one before, as on a busy server."""

    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def now_ms(self) -> int:
        self.ms += 1
        return self.ms


def _deps() -> Deps:
    unused = cast(Any, None)
    return Deps(
        uow=unused,
        clock=TickingClock(),
        limiter=unused,
        ids=unused,
        identities=Recent(),
        app_clocks=True,
    )


def _app(clock: AppClock) -> App:
    app = App(id="app_x", name="x", created_at=0, feishu_app_id="cli_x", feishu_secret_hash="")
    app.clock = clock
    return app


def test_an_app_on_the_real_time_is_not_ahead_even_as_the_clock_ticks() -> None:
    deps = _deps()
    assert [deps.ahead_of_real_ms(_app(AppClock())) for _ in range(3)] == [0, 0, 0]


def test_a_moved_clock_is_ahead_by_its_offset() -> None:
    assert _deps().ahead_of_real_ms(_app(AppClock(offset_ms=60_000))) == 60_000
    assert _deps().ahead_of_real_ms(_app(AppClock(offset_ms=-5_000))) == -5_000
