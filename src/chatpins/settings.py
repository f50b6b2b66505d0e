"""Settings from command-line flags and ``CHATPINS_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./chatpins.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATPINS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    # The key guarding the native provisioning API. Unset: generated on the first start,
    # printed once, stored hashed (``chatpins admin-key rotate`` prints a new one).
    admin_key: str | None = None
    # SQLite durability: FULL keeps every acknowledged write across a power loss.
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "FULL"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # console: for a person (uvicorn's access line per request). json: one JSON object per
    # line, one line per request with its id, app, dialect and route (docs/operations.md).
    # Unset: json in production mode, console in local mode.
    log_format: Literal["console", "json"] | None = None
    # uvicorn closes idle keep-alive connections after this many seconds; longer than the 5 s
    # Node's agent reuses a socket for, so a reused socket is never one we just closed.
    keep_alive_seconds: int = 75
    # Several instances on one database: Redis relays "new events" notices between them (and,
    # later, shared rate limits). Unset: one instance, everything in process.
    redis_url: str | None = None
    # Live streams: a quiet stream sends a heartbeat this often; a subscriber more than
    # ws_queue_size events behind is closed (4008) and resumes; commits by other processes
    # are found within events_poll_seconds when no Redis relays them.
    ws_heartbeat_seconds: float = 15.0
    ws_queue_size: int = 4096
    # A client whose socket stays full this long has stopped reading: it is dropped (4008).
    ws_send_timeout_seconds: float = 30.0
    events_poll_seconds: float = 1.0
    # Pins whose time is up are gone for every read at once; the sweeper writes their history
    # row and pin.deleted event (action "expired") within this many seconds.
    pin_sweep_seconds: float = Field(default=0.5, gt=0, le=60)
    # Webhooks: the worker looks for due deliveries this often (a commit wakes it at once);
    # a receiver has webhook_timeout_seconds to answer (Feishu-format: at most 3 s);
    # webhook_retry_scale multiplies every retry wait (shrink it in tests and demos); a webhook
    # is paused after webhook_pause_after failures in a row; at most webhook_concurrency
    # deliveries per webhook are in flight.
    webhook_poll_seconds: float = 1.0
    webhook_timeout_seconds: float = 10.0
    webhook_retry_scale: float = 1.0
    webhook_pause_after: int = 20
    webhook_concurrency: int = 4
    # SIGTERM: requests under way get this long to finish, then webhook deliveries under way
    # as long again (the rest give their leases back to the other instances). Both within the
    # 30 s an orchestrator (Kubernetes' default) waits before it kills.
    shutdown_grace_seconds: int = Field(default=10, ge=0, le=300)
    # Webhook targets outside the public internet (SSRF guard, docs/events.md "Targets"):
    # unset = by mode, local (SQLite) reaches loopback only and production (any other
    # database) nothing private; true = every private range too (a developer's LAN); false =
    # public addresses only. Multicast, 0.0.0.0 and the server's own address are never targets.
    webhook_allow_private: bool | None = None
    # local: a developer's stand-in (demo app with fixed credentials, loopback webhooks, the
    # landing page). production: no demo app, nothing private, secrets never printed. Unset:
    # local on SQLite, production on any other database.
    mode: Literal["local", "production"] | None = None
    # The controls a test suite steers the server with: per-app clock, fault rules, app reset.
    # They change what the server answers, so production has them only when this says so.
    # Unset: on in local mode, off in production.
    test_controls: bool | None = None
    # The admin console at /console (docs/console.md), for whoever holds the admin key.
    console: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_local(self) -> bool:
        return self.mode == "local" if self.mode is not None else self.is_sqlite

    @property
    def test_controls_enabled(self) -> bool:
        return self.test_controls if self.test_controls is not None else self.is_local
