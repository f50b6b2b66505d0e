"""The console's changes: each one native use case, made as the app's platform, answered with
the chat's pin list as it now stands (the fragment htmx swaps in). Every one needs the session's
CSRF token (``session.Change``); a refused change answers the list unchanged with the reason,
in the status the native API gives it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from chatpins.api.console import views
from chatpins.api.console.pages import deps_of, page
from chatpins.api.console.route import ConsoleRoute, UseCase, attempt
from chatpins.api.console.session import Change
from chatpins.core.context import Actor, Deps
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.services import pin_lists, pins
from chatpins.intake import INT64_MAX, check_value

router = APIRouter(
    prefix="/console/apps/{app_id}/chats/{chat_id}/pins",
    include_in_schema=False,
    route_class=ConsoleRoute,
)

MAX_NOTE = 2_000
MAX_ID = 128
MAX_TTL_S = 10 * 365 * 24 * 3600
Id = Annotated[str, Form(min_length=1, max_length=MAX_ID)]


async def _apply(
    request: Request, signed_in: Change, app_id: str, chat_id: str, change: UseCase
) -> Response:
    """Make one change as the app's platform; answer the pin list as it now stands, with the
    reason and the native API's status when the change was refused."""
    deps = deps_of(request)
    actor = await views.platform(deps, app_id)
    status, error = await attempt(change(deps, actor))
    shown = await views.pins_view(deps, actor, chat_id)
    return page(request, "_pins.html", signed_in, status, pins=shown, app_id=app_id, error=error)


def _text(value: str) -> str:
    """Form text passes the same check as JSON text (``intake``): storable, rendered back."""
    check_value(value)
    return value


@router.post("")
async def pin(
    request: Request,
    app_id: str,
    chat_id: str,
    signed_in: Change,
    message_id: Id,
    version: Annotated[int | None, Form(ge=0, le=INT64_MAX)] = None,
) -> Response:
    options = pins.PinOptions(chat_id=chat_id, expected_version=version)

    async def change(deps: Deps, actor: Actor) -> object:
        return await pins.pin(deps, actor, _text(message_id), options)

    return await _apply(request, signed_in, app_id, chat_id, change)


@router.post("/order")
async def reorder(
    request: Request,
    app_id: str,
    chat_id: str,
    signed_in: Change,
    message_ids: Annotated[list[str], Form(max_length=10_000)],
    version: Annotated[int | None, Form(ge=0, le=INT64_MAX)] = None,
) -> Response:
    """The whole order, as the drag and drop left it (``message_ids`` repeated, top first)."""

    async def change(deps: Deps, actor: Actor) -> object:
        wanted = [_text(m) for m in message_ids]
        return await pin_lists.reorder(deps, actor, chat_id, wanted, expected_version=version)

    return await _apply(request, signed_in, app_id, chat_id, change)


@router.post("/{message_id}/move")
async def move(
    request: Request,
    app_id: str,
    chat_id: str,
    message_id: str,
    signed_in: Change,
    by: Annotated[int, Form(ge=-1, le=1)],
    version: Annotated[int | None, Form(ge=0, le=INT64_MAX)] = None,
) -> Response:
    """One place up (``by=-1``) or down (``by=1``): the keyboard's way to reorder."""

    async def change(deps: Deps, actor: Actor) -> object:
        listed = await pin_lists.list_in_order(deps, actor, chat_id)
        order = [p.message_id for p in listed.pins]
        if message_id not in order:
            raise InvalidArgument(Reason.INVALID_ORDER, f"{message_id} is not pinned here")
        at = order.index(message_id)
        to = min(max(at + by, 0), len(order) - 1)
        order.insert(to, order.pop(at))
        expected = version if version is not None else listed.version
        return await pin_lists.reorder(deps, actor, chat_id, order, expected_version=expected)

    return await _apply(request, signed_in, app_id, chat_id, change)


@router.post("/{message_id}/edit")
async def edit(
    request: Request,
    app_id: str,
    chat_id: str,
    message_id: str,
    signed_in: Change,
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
    expires_in_s: Annotated[int | None, Form(ge=1, le=MAX_TTL_S)] = None,
    clear_expiry: Annotated[bool, Form()] = False,
    must_read: Annotated[bool, Form()] = False,
) -> Response:
    """The pin as the form shows it: its note, must-read (an unticked box clears it), and an
    expiry that many seconds from now (left empty: unchanged; or cleared)."""

    async def change(deps: Deps, actor: Actor) -> object:
        now = deps.now(actor.app)  # the app's time, which a test may have moved
        edit = pin_lists.PinEdit(
            note=_text(note),
            expires_at=None if expires_in_s is None or clear_expiry else now + expires_in_s * 1000,
            clear_expiry=clear_expiry,
            must_read=must_read,
        )
        return await pin_lists.edit_pin(deps, actor, chat_id, message_id, edit)

    return await _apply(request, signed_in, app_id, chat_id, change)


@router.post("/{message_id}/restore")
async def restore(
    request: Request, app_id: str, chat_id: str, message_id: str, signed_in: Change
) -> Response:
    """Pinned again from its history, with the note it had."""

    async def change(deps: Deps, actor: Actor) -> object:
        return await pin_lists.restore(deps, actor, chat_id, message_id)

    return await _apply(request, signed_in, app_id, chat_id, change)


@router.post("/{message_id}/unpin")
async def unpin(
    request: Request, app_id: str, chat_id: str, message_id: str, signed_in: Change
) -> Response:

    async def change(deps: Deps, actor: Actor) -> object:
        return await pins.unpin(deps, actor, message_id, chat_id=chat_id, must_be_pinned=True)

    return await _apply(request, signed_in, app_id, chat_id, change)
