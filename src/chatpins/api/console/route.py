"""How every console route fails: as a page for a person, never the API's JSON.

No session: a page sends the browser to the sign-in form (htmx is told to go there with
``HX-Redirect``), a change gets 401. A change without its CSRF token: 403, nothing done. A core
error (unknown app or chat) or a form that does not validate: its status, with the reason shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from html import escape
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from chatpins.api.console.session import CsrfRefused, SignInRequired
from chatpins.api.errors import describe
from chatpins.core.context import Actor, Deps
from chatpins.core.errors import ChatpinsError
from chatpins.intake import Unreadable

SIGN_IN = "/console/sign-in"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInRequired:
                return _sign_in_first(request)
            except CsrfRefused:
                return _failure(request, 403, "The change carried no valid CSRF token.")
            except ChatpinsError as exc:
                return _failure(request, *refusal(exc))
            except RequestValidationError as exc:
                return _failure(request, 400, _first_problem(exc))

        return route


UseCase = Callable[[Deps, Actor], Awaitable[object]]


async def attempt(change: Awaitable[object]) -> tuple[int, str]:
    """Run a console change: 200 and no reason, or the refusal's status and reason (the page
    then shows what stands, and why nothing changed)."""
    try:
        await change
    except (ChatpinsError, Unreadable) as exc:
        return refusal(exc)
    return 200, ""


def refusal(exc: Exception) -> tuple[int, str]:
    """A refused change's status (the native API's) and the reason a person reads."""
    if isinstance(exc, ChatpinsError):
        status, fields = describe(exc)
        return status, str(fields.get("message") or exc.reason)
    return 400, str(exc)  # intake's Unreadable: text that cannot be stored


def _sign_in_first(request: Request) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": SIGN_IN})
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(SIGN_IN, status_code=303)
    return _failure(request, 401, "Sign in first.")


def _first_problem(exc: RequestValidationError) -> str:
    problems = exc.errors()
    if not problems:
        return "The form is not valid."
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ())[1:])
    return f"{where}: {first.get('msg', 'not valid')}"


def _failure(request: Request, status: int, message: str) -> Response:
    # Built without the templates, so that it cannot fail itself.
    text = escape(message)
    if request.headers.get("HX-Request"):
        return HTMLResponse(f'<p class="error" role="alert">{text}</p>', status_code=status)
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>chatpins console'
        '</title><link rel="stylesheet" href="/console/static/console.css"></head><body>'
        f'<main><p class="error" role="alert">{text}</p><p><a href="/console">Back to the '
        "console</a></p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


# The pages load only their own files: no inline script or style, no frames, forms only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
