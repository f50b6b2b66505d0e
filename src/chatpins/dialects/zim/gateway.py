"""The ZIM gateway: public parameters, signature, nonce replay, per-action rate limits.

Check order (zim.md §4, ours): Action → public params (AppId, SignatureNonce, Timestamp,
SignatureVersion, Signature) → AppId known → Timestamp window → Signature → nonce replay →
rate limit; then each action checks its body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from chatpins import request_context
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import App
from chatpins.core.services import apps, replay, users
from chatpins.dialects.zim import signature
from chatpins.dialects.zim.errors import error

MAX_SKEW_S = 600  # |now − Timestamp| ≤ 10 min
# A nonce is refused when seen within 20 min: twice the skew window, so a signature accepted
# at one edge of the window cannot be replayed at the other.
NONCE_WINDOW_MS = 2 * MAX_SKEW_S * 1000
MAX_NONCE_CHARS = 128  # the nonce column's size; longer → 100000008 (unconfirmed)
# Used with fullmatch: "$" would allow a trailing newline.
_UINT = re.compile(r"0|[1-9][0-9]*")
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Rate:
    limit: int
    reason: str  # the errors-table reason of the action's over-limit code
    window_s: float = 1.0


@dataclass
class Call:
    """One authenticated request: its app and its JSON body."""

    deps: Deps
    app: App
    action: str
    body: dict[str, Any]

    async def actor(self, user_id: str, reason: str = "operator_not_registered") -> Actor:
        """Act as a registered user of the app; unknown → the given reason (660500002)."""
        user = await users.lookup_user(self.deps, self.app.id, "user_id", user_id)
        if user is None:
            raise error(reason, user_id)
        return Actor(self.app, user, "zim")

    async def hit(self, key: str, rate: Rate) -> None:
        if not self.app.zim_rate_limits:  # lifted for this app (load tests)
            return
        wait = await self.deps.hit_limit(
            self.app, f"zim:{self.app.id}:{key}", rate.limit, rate.window_s
        )
        if wait is not None:
            request_context.rate_limited()
            raise error(rate.reason)


def action_name(request: Request) -> str:
    name = request.query_params.get("Action", "")
    if not name:
        raise error("action_empty")
    return name


async def authenticate(request: Request, deps: Deps) -> App:
    query = request.query_params
    app_id_text = query.get("AppId", "")
    if not _UINT.fullmatch(app_id_text) or int(app_id_text) > UINT32_MAX:
        raise error("app_id_format")
    app_id = int(app_id_text)
    nonce = query.get("SignatureNonce", "")
    if not nonce or len(nonce) > MAX_NONCE_CHARS:
        raise error("nonce_empty")
    timestamp_text = query.get("Timestamp", "")
    if not timestamp_text:
        raise error("timestamp_empty")
    if not _INT.fullmatch(timestamp_text) or abs(int(timestamp_text)) > INT64_MAX:
        raise error("timestamp_format")
    timestamp = int(timestamp_text)
    version = query.get("SignatureVersion", "")
    if not version:
        raise error("version_empty")
    if version != signature.VERSION:
        raise error("version_unsupported")
    given = query.get("Signature", "")
    if not given:
        raise error("signature_empty")

    app = await apps.find_app_by_credential(deps, "zim_app_id", str(app_id))
    if app is None:
        raise error("unknown_app")
    now_ms = deps.clock.now_ms()
    if abs(now_ms // 1000 - timestamp) > MAX_SKEW_S:
        raise error("timestamp_expired")
    if not signature.verify(app_id, nonce, app.zim_server_secret, timestamp, given):
        raise error("signature_mismatch")
    if not await replay.claim_nonce(deps, app.id, nonce, NONCE_WINDOW_MS):
        raise error("nonce_reused")
    request_context.authenticated(app.id)
    return app
