"""The console's changes to a chat itself (not its pin list): recall a message, dissolve the
chat. Each is one core use case made as the app's platform, with the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chatpins.api.console import views
from chatpins.api.console.pages import deps_of, page
from chatpins.api.console.route import ConsoleRoute
from chatpins.api.console.session import Change
from chatpins.core.services import chats, messages

router = APIRouter(
    prefix="/console/apps/{app_id}/chats/{chat_id}",
    include_in_schema=False,
    route_class=ConsoleRoute,
)


@router.post("/messages/{message_id}/recall")
async def recall(
    request: Request, app_id: str, chat_id: str, message_id: str, signed_in: Change
) -> Response:
    """Recalled for everyone; its pin, if any, goes with it. Answers the messages as they now
    stand (the pin list follows from the stream's events)."""
    deps = deps_of(request)
    actor = await views.platform(deps, app_id)
    await messages.recall_message(deps, actor, message_id, chat_id=chat_id)
    shown = await views.messages_view(deps, actor, chat_id)
    return page(request, "_messages.html", signed_in, messages=shown, app_id=app_id)


@router.post("/dissolve")
async def dissolve(request: Request, app_id: str, chat_id: str, _signed_in: Change) -> Response:
    """Dissolved for every member and dialect; the browser goes back to the app's chats."""
    deps = deps_of(request)
    await chats.dissolve_chat(deps, await views.platform(deps, app_id), chat_id)
    return Response(status_code=204, headers={"HX-Redirect": f"/console/apps/{app_id}"})
