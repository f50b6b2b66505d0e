"""What every use case receives: its dependencies and the acting identity."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from chatpins.core.entities import App, User
from chatpins.core.faults import FaultRules
from chatpins.core.ports import Clock, IdGenerator, RateLimiter, UnitOfWorkFactory
from chatpins.core.recent import Recent


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory
    clock: Clock
    limiter: RateLimiter
    ids: IdGenerator
    # Recently authenticated tokens (see core.recent); storage clears it when this process
    # writes apps, users or tokens.
    identities: Recent[Any] = field(default_factory=Recent)
    # Fault rules a test suite set for its apps (see core.faults), in this process only.
    faults: FaultRules = field(default_factory=FaultRules)
    # Whether an app's moved clock (a test's, ``App.clock``) counts: only where test controls
    # are on, so a production app always runs on the real time.
    app_clocks: bool = False

    def now(self, app: App) -> int:
        """The time in ``app``: the real time, unless a test moved the app's clock. Every
        rule about time within an app (expiry, tokens, rate windows, history) reads this; the
        real time (``clock``) is for what the outside world checks (signatures, retries)."""
        real = self.clock.now_ms()
        return app.clock.read(real) if self.app_clocks else real

    def ahead_of_real_ms(self, app: App) -> int:
        """How far ``app``'s clock runs ahead of the real time (0 unless a test moved it),
        from one reading of the real time: two readings a millisecond apart would differ."""
        real = self.clock.now_ms()
        return app.clock.read(real) - real if self.app_clocks else 0

    async def hit_limit(
        self, app: App, key: str, limit: int, window_seconds: float
    ) -> float | None:
        """Count one of ``app``'s operations against a rate limit (see ``RateLimiter.hit``):
        its windows pass with the app's time when a test moved the app's clock."""
        at = self.now(app) / 1000 if self.app_clocks and app.clock.is_moved else None
        return await self.limiter.hit(key, limit, window_seconds, at=at)


@dataclass(frozen=True)
class Actor:
    """Who performs a use case: a user (or bot) of one app, through one dialect."""

    app: App
    user: User
    dialect: str
    # Feishu serves chat APIs only where the calling app's bot is a member (230002), even for
    # calls made with a user's token.
    requires_app_bot: bool = False
    # The app's platform administrator (IMKit's API key): may act in every chat of the app,
    # member or not, with an owner's rights. ``user`` is then the app's bot.
    is_platform: bool = False
    # Time itself (a pin's expiry): history and events name no actor; ``user`` is the app's
    # bot, for the rules that need someone.
    is_system: bool = False

    @property
    def app_id(self) -> str:
        return self.app.id

    @property
    def actor_id(self) -> str | None:
        """Who to name in history and events: the user, or nobody for time itself."""
        return None if self.is_system else self.user.id

    def as_system(self) -> Actor:
        return dataclasses.replace(self, dialect=SYSTEM_DIALECT, is_system=True)


# The "dialect" of changes no client made (a pin's expiry), in history and events.
SYSTEM_DIALECT = "system"
