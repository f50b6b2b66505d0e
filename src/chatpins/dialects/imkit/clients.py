"""Users ("clients") and their tokens: ``/admin/clients`` (platform) and ``GET /me``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.services import tokens, users
from chatpins.dialects.imkit import render
from chatpins.dialects.imkit.auth import DIALECT, endpoint
from chatpins.dialects.imkit.errors import fail
from chatpins.dialects.imkit.schemas import ClientBody, TokenBindBody, TokenRevokeBody
from chatpins.dialects.imkit.wire import ok, parse_body
from chatpins.dialects.shell import deps_of


@endpoint("platform")
async def upsert_client(request: Request, actor: Actor) -> Response:
    body = await parse_body(request, ClientBody)
    grant = None
    if body.issueAccessToken:
        grant = users.TokenGrant(DIALECT, issue=True)
    elif body.token is not None:
        grant = users.TokenGrant(DIALECT, value=body.token, expires_at=_expiry(body))
    done = await users.upsert_user(
        deps_of(request),
        actor.app_id,
        body.id,
        name=body.nickname,
        avatar=body.avatarUrl,
        grant=grant,
    )
    result = render.user(actor.app, done.user)
    result["updatedAt"] = render.iso(done.updated_at)
    if done.token is not None:
        result["token"] = done.token.value
        result["expirationDate"] = render.iso(done.token.expires_at)
    return ok(result)


@endpoint("platform")
async def bind_token(request: Request, actor: Actor) -> Response:
    client_id = request.path_params["client_id"]
    body = await parse_body(request, TokenBindBody)
    issued = await tokens.bind_user_token(
        deps_of(request), actor.app_id, client_id, DIALECT, body.token, _expiry(body)
    )
    return ok(
        {
            "token": issued.value,
            "client": client_id,
            "expirationDate": render.iso(issued.expires_at),
            "expirationDateMS": issued.expires_at,
        }
    )


@endpoint("platform")
async def revoke_tokens(request: Request, actor: Actor) -> Response:
    client_id = request.path_params["client_id"]
    body = await parse_body(request, TokenRevokeBody)
    count = await tokens.revoke_user_tokens(
        deps_of(request), actor.app_id, client_id, DIALECT, body.token
    )
    return ok({"revokedTokens": count})


@endpoint("user")
async def me(request: Request, actor: Actor) -> Response:
    return ok(render.user(actor.app, actor.user))


def _expiry(body: ClientBody | TokenBindBody) -> int | None:
    if body.expirationDate is None:
        return None
    at = render.parse_time(body.expirationDate)
    if at is None:
        raise fail("invalid_body", "expirationDate must be an ISO-8601 date")
    return at
