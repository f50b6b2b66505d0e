"""What the server learns about one request while serving it: its id, the dialect that served
it, the app it authenticated as, whether a rate limit refused it.

The outermost middleware (``api.metrics.MetricsMiddleware``) opens a record per request; the
dispatcher names the dialect; each dialect's gateway and the native API's auth name the app
(``authenticated``), ZIM names the Action it serves (``routed_as``) and the places that answer
a rate limit say so (``rate_limited``). The
middleware then writes the request's log line and metrics from it. The record travels in a
context variable: every request is its own task, so records never mix, and the handlers need
no new parameter.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar, Token
from dataclasses import dataclass

import structlog

HEADER = "X-Request-Id"
NATIVE = "native"
MAX_ID_CHARS = 128
# A client's id is kept only when it cannot forge a log line or carry a payload: short, and
# of characters that need no quoting anywhere it is shown.
_SAFE_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_ID_CHARS}}}")


@dataclass
class RequestRecord:
    request_id: str
    dialect: str = NATIVE
    app: str | None = None
    rate_limited: bool = False
    # A route label finer than the matched path, from a closed set (ZIM's known Actions, which
    # all share the path ``/``); None: the matched route's template.
    route: str | None = None


_current: ContextVar[RequestRecord | None] = ContextVar("chatpins_request", default=None)


def request_id_from(sent: bytes | None) -> str:
    """The client's ``X-Request-Id`` when it is safe to repeat (at most 128 characters of
    ``[A-Za-z0-9._-]``), else a new one (32 hex digits)."""
    if sent is not None:
        text = sent.decode("latin-1")
        if _SAFE_ID.fullmatch(text):
            return text
    return secrets.token_hex(16)


def begin(request_id: str) -> Token[RequestRecord | None]:
    """Open the record of the request this task serves; its id goes on every structlog line
    written meanwhile. ``end`` with the returned token."""
    token = _current.set(RequestRecord(request_id))
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return token


def end(token: Token[RequestRecord | None]) -> None:
    _current.reset(token)
    structlog.contextvars.unbind_contextvars("request_id")


def current() -> RequestRecord | None:
    return _current.get()


def served_by(dialect: str) -> None:
    """The dispatcher: which dialect answers this request."""
    record = _current.get()
    if record is not None:
        record.dialect = dialect


def authenticated(app_id: str) -> None:
    """Where a credential resolved to an app: the request acts for ``app_id``."""
    record = _current.get()
    if record is not None:
        record.app = app_id


def routed_as(route: str) -> None:
    """A dialect whose operations share one path names the operation (from a closed set, so
    the metrics' route label stays bounded)."""
    record = _current.get()
    if record is not None:
        record.route = route


def rate_limited() -> None:
    """Where a rate limit's refusal becomes the dialect's answer: count it once."""
    record = _current.get()
    if record is not None:
        record.rate_limited = True
