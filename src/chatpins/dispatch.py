"""Sends each request to the dialect that owns its path.

Three vendors share one host: Feishu under ``/open-apis``, IMKit at the root for its own first
path segments (it has no prefix), ZIM at ``/`` itself (``POST /?Action=…``); the native API
(``/v1``, ``/metrics``, the docs) is the main app. Each vendor's app is reached directly, not
through the main app's middleware and router: those cost every vendor call a tenth of a
millisecond for nothing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

FEISHU_PREFIX = "/open-apis"


class DialectDispatcher:
    def __init__(
        self,
        main: ASGIApp,
        feishu: ASGIApp,
        imkit: ASGIApp,
        imkit_prefixes: frozenset[str],
        zim: ASGIApp,
    ):
        self.main = main
        self.feishu = feishu
        self.imkit = imkit
        self.imkit_prefixes = imkit_prefixes
        self.zim = zim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/":
                await self.zim(scope, receive, send)
                return
            first = path.split("/", 2)[1]
            if first == FEISHU_PREFIX[1:]:
                # As a mount would: the app routes on the path below its root path (in place,
                # so the metrics middleware outside sees the matched route too).
                scope["root_path"] = scope.get("root_path", "") + FEISHU_PREFIX
                await self.feishu(scope, receive, send)
                return
            if first in self.imkit_prefixes:
                await self.imkit(scope, receive, send)
                return
        await self.main(scope, receive, send)
