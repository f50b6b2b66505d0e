"""The console's changes to a user's conversation list: pin a chat for the user or take it off,
pin a group chat on top of every member's list or take that off. Each is one native use case
made as the app's platform, answered with the user's list as it now stands (or the reason it
was refused, in the native API's status)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chatpins.api.console import views
from chatpins.api.console.pages import deps_of, page
from chatpins.api.console.route import ConsoleRoute, UseCase, attempt
from chatpins.api.console.session import Change, SignedIn
from chatpins.core.context import Actor, Deps
from chatpins.core.services import global_pins, pinned_conversations

router = APIRouter(
    prefix="/console/apps/{app_id}/users/{user_id}/conversations",
    include_in_schema=False,
    route_class=ConsoleRoute,
)


async def _apply(
    request: Request, signed_in: Change, app_id: str, user_id: str, change: UseCase
) -> Response:
    deps = deps_of(request)
    actor = await views.platform(deps, app_id)
    status, error = await attempt(change(deps, actor))
    shown = await views.user_page(deps, app_id, user_id)
    return page(request, "_conversations.html", signed_in, status, view=shown, error=error)


@router.post("/{chat_id}/pin")
async def pin(
    request: Request, app_id: str, user_id: str, chat_id: str, signed_in: Change
) -> Response:
    async def change(deps: Deps, actor: Actor) -> object:
        return await pinned_conversations.pin(deps, actor, user_id, chat_id)

    return await _apply(request, signed_in, app_id, user_id, change)


@router.post("/{chat_id}/unpin")
async def unpin(
    request: Request, app_id: str, user_id: str, chat_id: str, signed_in: Change
) -> Response:
    async def change(deps: Deps, actor: Actor) -> object:
        return await pinned_conversations.unpin(deps, actor, user_id, chat_id)

    return await _apply(request, signed_in, app_id, user_id, change)


@router.post("/{chat_id}/pin-global")
async def pin_globally(
    request: Request, app_id: str, user_id: str, chat_id: str, signed_in: Change
) -> Response:
    async def change(deps: Deps, actor: Actor) -> object:
        return await global_pins.pin_globally(deps, actor, chat_id)

    return await _apply(request, signed_in, app_id, user_id, change)


@router.post("/{chat_id}/unpin-global")
async def unpin_globally(
    request: Request, app_id: str, user_id: str, chat_id: str, signed_in: Change
) -> Response:
    async def change(deps: Deps, actor: Actor) -> object:
        return await global_pins.unpin_globally(deps, actor, chat_id)

    return await _apply(request, signed_in, app_id, user_id, change)


@router.get("")
async def conversations(
    request: Request, app_id: str, user_id: str, signed_in: SignedIn
) -> Response:
    """The list alone: what the page asks for again when the stream says it changed."""
    shown = await views.user_page(deps_of(request), app_id, user_id)
    return page(request, "_conversations.html", signed_in, view=shown)
