"""What every HTTP request passes before a handler reads it, for every dialect and the native API.

- **A body cap** (1 MiB), enforced while the body streams in and before anything parses it or
  checks a credential: a declared ``Content-Length`` over the cap is refused at once, and a body
  that grows past it stops at the first chunk over.
- **JSON that is safe to keep**: nested at most ``MAX_JSON_DEPTH`` deep (deeper structures
  exhaust the interpreter's stack when encoded again), text that can be stored and rendered
  back (valid Unicode without U+0000: PostgreSQL cannot store NUL, and a lone surrogate cannot
  be encoded as UTF-8), numbers that JSON can render again (no NaN or infinities).
- **A request target** (path and query) without NUL.
- **Integers** that fit the database's signed 64-bit columns.

Each dialect answers a refusal in its own envelope: the middleware takes a ``refuse`` function
from the dialect, and the dialects' body readers translate ``Unreadable`` by its reason.

Starlette's own ``RequestBodyLimitMiddleware`` is not used: it answers a declared oversize with
a plain-text 413 whatever the app replies, which breaks every vendor's envelope (ZIM answers
HTTP 200 JSON for every outcome).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
INT64_MAX = 2**63 - 1

Reason = Literal["body_too_large", "not_json", "too_deep", "unstorable_text"]

_MESSAGES: dict[Reason, str] = {
    "body_too_large": f"the body is larger than {MAX_BODY_BYTES} bytes",
    "not_json": "the body is not JSON",
    "too_deep": f"the JSON nests deeper than {MAX_JSON_DEPTH} levels",
    "unstorable_text": "text must be valid Unicode without U+0000",
}
# A lone surrogate (only a JSON escape can make one) or NUL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UINT = re.compile("[0-9]{1,19}")


class Unreadable(Exception):
    """A request this server will not read; dialects map ``reason`` to their own code."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: Reason = reason
        self.message = _MESSAGES[reason]


Refuse = Callable[[Scope, Unreadable], Response]


class Intake:
    """The cap and the target check, around one dialect's (or the native) ASGI app.

    The body is read here, up to the cap, before the app runs: an oversized body is refused
    for its size before any credential is looked at, whether its length was declared or it
    arrives in chunks, and no more than the cap is ever held. The app then reads it from
    memory."""

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem: Reason | None = None
        if _nul_in_target(scope):
            problem = "unstorable_text"
        elif _declared_length(scope) > MAX_BODY_BYTES:
            problem = "body_too_large"
        else:
            try:
                body = await _read_capped(receive)
            except _TooLarge:
                problem = "body_too_large"
            except _ClientGone:
                return  # nobody is left to answer
        if problem is not None:
            await self.refuse(scope, Unreadable(problem))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


class _ClientGone(Exception):
    pass


class _TooLarge(Exception):
    pass


def _nul_in_target(scope: Scope) -> bool:
    # The server has already percent-decoded the path; the query string is still raw bytes.
    return "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


async def _read_capped(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the server's own messages (a disconnect, for an app that
    waits for one)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


async def read_json(request: Request, empty: Any) -> Any:
    """The body as JSON, or ``empty`` when it is blank; ``Unreadable`` otherwise. (The intake
    has already read the body, within the cap.)"""
    raw = await request.body()
    if not raw.strip():
        return empty
    return load_json(raw)


def load_json(raw: bytes | str) -> Any:
    """Parse JSON that is safe to keep and render back (see the module docstring)."""
    try:
        # Strict UTF-8 (RFC 8259): json.loads would decode bytes with "surrogatepass" and
        # let the UTF-8 form of a lone surrogate through.
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        value = _DECODER.decode(text)
    except RecursionError as exc:  # deeper than the parser's own stack allows
        raise Unreadable("too_deep") from exc
    except ValueError as exc:  # includes UnicodeDecodeError: bytes that are not UTF-8
        raise Unreadable("not_json") from exc
    if _may_be_unsafe(text):
        check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse a decoded value nested too deep or holding text that cannot be stored."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                raise Unreadable("unstorable_text")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise Unreadable("too_deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not storable(key):
                        raise Unreadable("unstorable_text")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def first_query_values(request: Request) -> dict[str, Any]:
    """The query string as a dict; of a repeated key, the first value counts."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value)
    return params


def parse_uint(text: str) -> int | None:
    """A non-negative integer of ASCII digits that fits a signed 64-bit column, or None.

    (``str.isdigit`` accepts "²" and other digits ``int`` refuses.)"""
    if not _UINT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= INT64_MAX else None


def _may_be_unsafe(text: str) -> bool:
    # Decoded JSON can hold NUL or a lone surrogate only through an escape or through a
    # string that already held one (text read back from storage), and a value cannot nest
    # deeper than it has brackets: most bodies skip the walk.
    return "\\u" in text or text.count("[") + text.count("{") > MAX_JSON_DEPTH or not storable(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


# One decoder for every body: ``json.loads`` with hooks builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
