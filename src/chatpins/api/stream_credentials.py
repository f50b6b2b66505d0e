"""Who reads an event stream, and with what credential: a token (its expiry, its revocation),
the admin key (its rotation), or an app's IMKit API key (its rotation). Kept in memory to
check again while the stream is open (``api.events``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from chatpins.api.console import session as console_session
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
    # The admin console's session cookie: signing out elsewhere does not end it, rotating the
    # admin key (which signs it) or its expiry does.
    console_session: str | None = None
    # How far the app's clock ran ahead of the real time when the stream opened (a test's
    # moved clock; 0 otherwise): the keeper waits in real time for an expiry in app time.
    app_time_ahead_ms: int = 0

    @property
    def is_key(self) -> bool:
        """Opened with a key (admin or API key), which only a periodic look finds rotated."""
        return (
            self.admin_key is not None
            or self.api_key is not None
            or self.console_session is not None
        )

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
        return await _console_reader(websocket, deps)
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


async def _console_reader(websocket: WebSocket, deps: Deps) -> Reader:
    """The console's page, signed in with its session cookie, reads one app's whole stream.
    The cookie is ``SameSite=Strict`` and the page must come from this server (``Origin``), so
    another site cannot open a stream with it."""
    enabled = websocket.app.state.settings.console
    found = await console_session.session_of(websocket) if enabled else None
    if found is None:
        raise Unauthenticated(Reason.MISSING_CREDENTIALS)
    origin, host = websocket.headers.get("origin", ""), websocket.headers.get("host", "")
    if not host or origin.partition("://")[2] != host:
        raise Unauthenticated(Reason.UNKNOWN_CREDENTIALS)
    app_ref = websocket.query_params.get("app_id")
    if not app_ref:
        raise InvalidArgument(Reason.APP_ID_REQUIRED, "the console reads one app: ?app_id=")
    app = await apps.get_app(deps, app_ref)
    return Reader(app.id, None, Credential(console_session=found.value))


async def still_works(credential: Credential, deps: Deps, state: Any) -> bool:
    """Checked again from the database: the token is neither revoked nor expired, the admin
    key still the server's, the API key still its app's."""
    if credential.token is not None:
        return await tokens.is_live(deps, credential.token)
    if credential.admin_key is not None:
        return await is_admin_key(state, credential.admin_key)
    if credential.console_session is not None:
        signing = await console_session.signing_key(state)
        value = credential.console_session
        return signing is not None and console_session.verify(signing, value) is not None
    if credential.api_key is not None:
        app_id, key = credential.api_key
        app = await apps.find_app_by_credential(deps, "imkit_api_key", key)
        return app is not None and app.id == app_id
    return True
