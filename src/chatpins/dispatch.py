"""Sends each request to the dialect that owns its path.

Several vendors share one host, each claiming paths its own way: Feishu mounts ``/open-apis``,
IMKit owns some first path segments (it has no prefix), ZIM answers ``/`` itself
(``POST /?Action=…``) but for a browser's ``GET /`` without ``Action`` (the landing page); the
native API (``/v1``, ``/metrics``, the docs, the landing page) is the main app. Each
dialect's app is reached directly, not through the main app's middleware and router: those
cost every vendor call a tenth of a millisecond for nothing.

The dispatcher also names the dialect in the request's record (``request_context``): the
request's log line and metrics are labelled with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from chatpins import request_context
from chatpins.dialects.shell import DialectApp


def is_landing(scope: Scope) -> bool:
    """A browser asking for ``/``: GET or HEAD with no ``Action`` parameter, which every ZIM
    call carries (its gateway answers the other requests to ``/``, as before)."""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    query = scope.get("query_string", b"").decode("latin-1")
    return all(name != "Action" for name, _ in parse_qsl(query, keep_blank_values=True))


class DialectDispatcher:
    def __init__(self, main: ASGIApp, dialects: Sequence[DialectApp]) -> None:
        self.main = main
        self.root = next((d for d in dialects if d.root), None)
        self.by_segment: dict[str, DialectApp] = {}
        for dialect in dialects:
            for segment in dialect.segments:
                if segment in self.by_segment:
                    raise ValueError(f"two dialects claim /{segment}")
                self.by_segment[segment] = dialect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/" and self.root is not None and not is_landing(scope):
                request_context.served_by(_label(self.root))
                await self.root.app(scope, receive, send)
                return
            first = path.split("/", 2)[1]
            dialect = self.by_segment.get(first)
            if dialect is not None:
                request_context.served_by(_label(dialect))
                if dialect.mounted:
                    # As a mount would: the app routes on the path below its root path (in
                    # place, so the metrics middleware outside sees the matched route too).
                    scope["root_path"] = scope.get("root_path", "") + "/" + first
                await dialect.app(scope, receive, send)
                return
        await self.main(scope, receive, send)


def _label(dialect: DialectApp) -> str:
    return dialect.name or "unnamed"
