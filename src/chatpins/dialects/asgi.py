"""ASGI plumbing the dialects share."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


class RewriteResponseHeaders:
    """Applies ``rewrite`` to the raw header list of every HTTP response of ``app``.

    Raw headers keep the case given here, which some vendor SDKs depend on.
    """

    def __init__(self, app: ASGIApp, rewrite: Callable[[Headers], Headers]) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = self.rewrite(list(message.get("headers", [])))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_rewritten)
