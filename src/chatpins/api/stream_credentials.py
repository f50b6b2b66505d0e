"""Who reads an event stream, and with what credential: a token (its expiry, its revocation),
the admin key (its rotation), or an app's IMKit API key (its rotation). Kept in memory to
check again while the stream is open (``api.events``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from chatpins.api.provisioning import is_admin_key
from chatpins.core.context import Deps
from chatpins.core.entities import Token, TokenKind
from chatpins.core.errors import InvalidArgument, Reason, Unauthenticated
from chatpins.core.services import apps, tokens


@dataclass(frozen=True)
class Credential:
    """What a stream was opened with, kept in memory to check it again: a token (its expiry,
    its revocation), the admin key (its rotation), or an app's API key (which has neither)."""

    token: Token | None = None
    admin_key: str | None = None
    # An app's IMKit API key, with the app it opened: rotating the key ends the stream.
    api_key: tuple[str, str] | None = None  # (app id, key)
    # How far the app's clock ran ahead of the real time when the stream opened (a test's
    # moved clock; 0 otherwise): the keeper waits in real time for an expiry in app time.
    app_time_ahead_ms: int = 0

    @property
    def is_key(self) -> bool:
        """Opened with a key (admin or API key), which only a periodic look finds rotated."""
        return self.admin_key is not None or self.api_key is not None

    @property
    def expires_at(self) -> int | None:
        """The token's expiry in real time."""
        if self.token is None:
            return None
        return self.token.expires_at - self.app_time_ahead_ms


@dataclass(frozen=True)
class Reader:
    app_id: str
    user_id: str | None  # None: the app itself
    credential: Credential = Credential()


async def resolve_reader(websocket: WebSocket, deps: Deps) -> Reader:
    header = websocket.headers.get("authorization", "")
    credential = header.removeprefix("Bearer ").strip() or websocket.query_params.get(
        "access_token", ""
    )
    if not credential:
        raise Unauthenticated(Reason.MISSING_CREDENTIALS)
    if await is_admin_key(websocket.app.state, credential):
        app_ref = websocket.query_params.get("app_id")
        if not app_ref:
            raise InvalidArgument(Reason.APP_ID_REQUIRED, "the admin key reads one app: ?app_id=")
        return Reader(
            (await apps.get_app(deps, app_ref)).id, None, Credential(admin_key=credential)
        )
    for dialect in ("feishu", "imkit"):
        with contextlib.suppress(Unauthenticated):
            identity = await tokens.authenticate(deps, credential, dialect)
            user_id = identity.user.id if identity.token.kind is TokenKind.USER else None
            ahead = deps.ahead_of_real_ms(identity.app)
            return Reader(
                identity.app.id, user_id, Credential(identity.token, app_time_ahead_ms=ahead)
            )
    app = await apps.find_app_by_credential(deps, "imkit_api_key", credential)
    if app is None:
        raise Unauthenticated(Reason.UNKNOWN_CREDENTIALS)
    return Reader(app.id, None, Credential(api_key=(app.id, credential)))


async def still_works(credential: Credential, deps: Deps, state: Any) -> bool:
    """Checked again from the database: the token is neither revoked nor expired, the admin
    key still the server's, the API key still its app's."""
    if credential.token is not None:
        return await tokens.is_live(deps, credential.token)
    if credential.admin_key is not None:
        return await is_admin_key(state, credential.admin_key)
    if credential.api_key is not None:
        app_id, key = credential.api_key
        app = await apps.find_app_by_credential(deps, "imkit_api_key", key)
        return app is not None and app.id == app_id
    return True
