"""Sends each request to the dialect that owns its path.

Three vendors share one host: Feishu under ``/open-apis`` and the native API under ``/v1``
(both served by the main app), IMKit at the root for its own first path segments (it has no
prefix), ZIM at ``/`` itself (``POST /?Action=…``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class DialectDispatcher:
    def __init__(self, main: ASGIApp, imkit: ASGIApp, imkit_prefixes: frozenset[str], zim: ASGIApp):
        self.main = main
        self.imkit = imkit
        self.imkit_prefixes = imkit_prefixes
        self.zim = zim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/":
                await self.zim(scope, receive, send)
                return
            if path.split("/", 2)[1] in self.imkit_prefixes:
                await self.imkit(scope, receive, send)
                return
        await self.main(scope, receive, send)
