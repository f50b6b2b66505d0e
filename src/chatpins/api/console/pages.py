"""The console's pages (GET) and its sign-in and sign-out. Changes are in ``actions``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from chatpins.api.console import session, views
from chatpins.api.console.route import SECURITY_HEADERS, ConsoleRoute
from chatpins.api.console.session import SignedIn
from chatpins.api.native import render
from chatpins.api.provisioning import is_admin_key
from chatpins.core.context import Actor, Deps
from chatpins.core.services import apps

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["text"] = render.text_of
# The admin key is one line of printable ASCII; anything longer is not it.
MAX_KEY_FIELD = 200


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def page(
    request: Request, name: str, signed_in: session.Session | None, status: int = 200, **data: Any
) -> HTMLResponse:
    context = {"csrf": signed_in.csrf if signed_in else "", "signed_in": signed_in, **data}
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers=SECURITY_HEADERS
    )


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    if await session.session_of(request) is not None:
        return RedirectResponse("/console", status_code=303)
    return page(request, "sign_in.html", None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=4)
    given = str(form.get("admin_key", ""))[:MAX_KEY_FIELD].strip()
    key = await session.signing_key(request.app.state)
    if key is None or not given or not await is_admin_key(request.app.state, given):
        return page(request, "sign_in.html", None, status=401, error="That is not the admin key.")
    signed_in = session.issue(key)
    reply = RedirectResponse("/console", status_code=303)
    reply.set_cookie(
        session.COOKIE,
        signed_in.value,
        max_age=session.SESSION_TTL_MS // 1000,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return reply


@router.post("/sign-out")
async def sign_out(_signed_in: session.Change) -> Response:
    reply = RedirectResponse("/console/sign-in", status_code=303)
    reply.delete_cookie(session.COOKIE, path="/", httponly=True, samesite="strict")
    return reply


@router.get("")
async def app_list(request: Request, signed_in: SignedIn) -> Response:
    return page(request, "apps.html", signed_in, apps=await apps.list_apps(deps_of(request)))


@router.get("/apps/{app_id}")
async def app_detail(request: Request, app_id: str, signed_in: SignedIn) -> Response:
    shown = await views.app_page(deps_of(request), app_id)
    return page(request, "app.html", signed_in, view=shown)


@router.get("/apps/{app_id}/chats/{chat_id}")
async def chat_detail(request: Request, app_id: str, chat_id: str, signed_in: SignedIn) -> Response:
    shown = await views.chat_page(deps_of(request), app_id, chat_id)
    return page(
        request,
        "chat.html",
        signed_in,
        view=shown,
        pins=shown.pins,
        messages=shown.messages,
        history=shown.history,
        app_id=app_id,
    )


# The parts of a chat's page that refresh on their own (the stream's events say which): each is
# read by its view and drawn by its template, under the name the template knows it by.
PARTS: dict[str, tuple[Callable[[Deps, Actor, str], Awaitable[object]], str]] = {
    "pins": (views.pins_view, "_pins.html"),
    "messages": (views.messages_view, "_messages.html"),
    "history": (views.history_view, "_history.html"),
}


@router.get("/apps/{app_id}/chats/{chat_id}/{part}")
async def chat_part(
    request: Request,
    app_id: str,
    chat_id: str,
    part: Literal["pins", "messages", "history"],
    signed_in: SignedIn,
) -> Response:
    deps = deps_of(request)
    read, template = PARTS[part]
    shown: dict[str, Any] = {part: await read(deps, await views.platform(deps, app_id), chat_id)}
    return page(request, template, signed_in, app_id=app_id, **shown)


@router.get("/apps/{app_id}/users/{user_id}")
async def user_detail(request: Request, app_id: str, user_id: str, signed_in: SignedIn) -> Response:
    shown = await views.user_page(deps_of(request), app_id, user_id)
    return page(request, "user.html", signed_in, view=shown)


@router.get("/apps/{app_id}/events")
async def app_events(request: Request, app_id: str, signed_in: SignedIn) -> Response:
    """The app's event stream, live, filtered by type and chat in the page."""
    app = await apps.get_app(deps_of(request), app_id)
    return page(request, "events.html", signed_in, app=app)
