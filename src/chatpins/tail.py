"""``chatpins events tail``: print an app's (or a user's) live event stream, one JSON per line.

It resumes by itself: after a dropped connection, a server restart or a "too slow" close it
reconnects with ``after=`` the last seq it printed, so the output has every event once, in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets
from websockets.asyncio.client import connect

# Close codes after which reconnecting cannot help.
FINAL_CLOSE_CODES = {4400, 4401}


def stream_url(base_url: str, params: dict[str, str]) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    query = urlencode({k: v for k, v in params.items() if v})
    return urlunsplit((scheme, parts.netloc, "/v1/events/ws", query, ""))


async def tail(
    base_url: str,
    credential: str,
    *,
    app_id: str = "",
    after: int | None = None,
    format_: str = "native",
    show: Callable[[str], None] = print,
    heartbeats: bool = False,
    limit: int | None = None,
) -> int:
    """Print frames until interrupted (or ``limit`` events); returns the last seq printed."""
    cursor = after
    printed, delay = 0, 0.5
    headers = {"Authorization": f"Bearer {credential}"}
    while True:
        params = {"app_id": app_id, "format": format_ if format_ != "native" else ""}
        if cursor is not None:
            params["after"] = str(cursor)
        try:
            async with connect(stream_url(base_url, params), additional_headers=headers) as ws:
                delay = 0.5
                async for text in ws:
                    frame = json.loads(text)
                    kind = frame.get("type")
                    if kind == "hello":
                        cursor = frame["after"]
                        continue
                    if kind == "heartbeat" and not heartbeats:
                        continue
                    show(text if isinstance(text, str) else text.decode())
                    seq = frame.get("seq", frame.get("event", {}).get("seq"))
                    if kind != "heartbeat" and seq is not None:
                        cursor, printed = seq, printed + 1
                        if limit is not None and printed >= limit:
                            return cursor
        except websockets.ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code in FINAL_CLOSE_CODES:
                raise SystemExit(f"stream refused: {exc.rcvd.code} {exc.rcvd.reason}") from exc
        except OSError:
            pass  # server away: try again shortly
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)
