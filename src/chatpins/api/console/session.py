"""The console's sign-in: the admin key, once, for a session cookie; a CSRF token per session.

The cookie is ``<expires_ms>.<nonce>.<mac>``, HTTP-only and ``SameSite=Strict``. Its MAC is keyed
by the admin key (its stored hash, or the configured key's), so nothing is stored per session,
every instance behind a load balancer accepts it, and rotating the admin key ends every session
at once. Signing out clears the cookie in the browser; a copied cookie still works until it
expires (``SESSION_TTL_MS``) or the key rotates.

Every change also carries the session's CSRF token (``X-CSRF-Token`` or the form field
``csrf_token``): an HMAC of the session under the same key, so it cannot be made without the
cookie's secret and is checked without storage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from chatpins.core.services import admin

COOKIE = "chatpins_console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_TTL_MS = 12 * 3600 * 1000
_CONTEXT = b"chatpins console session\x00"


class SignInRequired(Exception):
    """No valid session: a page sends the browser to the sign-in form, a change gets 401."""


class CsrfRefused(Exception):
    """A change without its session's CSRF token: 403, nothing done."""


@dataclass(frozen=True)
class Session:
    value: str  # the cookie
    csrf: str


async def signing_key(state: Any) -> bytes | None:
    """The admin key's material, or None when the server has no admin key yet."""
    configured: str | None = state.settings.admin_key
    material = configured if configured is not None else await admin.stored_key_hash(state.deps)
    if material is None:
        return None
    return hashlib.sha256(_CONTEXT + material.encode()).digest()


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, now_ms: int | None = None) -> Session:
    expires = (now_ms if now_ms is not None else _now_ms()) + SESSION_TTL_MS
    body = f"{expires}.{secrets.token_hex(16)}"
    return _session(key, f"{body}.{_mac(key, body)}")


def verify(key: bytes, value: str, now_ms: int | None = None) -> Session | None:
    """The session a cookie holds, if it is this key's and not expired."""
    expires, _, rest = value.partition(".")
    nonce, _, mac = rest.partition(".")
    if not (expires.isascii() and expires.isdigit() and nonce and mac):
        return None
    if not hmac.compare_digest(mac, _mac(key, f"{expires}.{nonce}")):
        return None
    if int(expires) <= (now_ms if now_ms is not None else _now_ms()):
        return None
    return _session(key, value)


def _session(key: bytes, value: str) -> Session:
    """A session and its CSRF token: the cookie's MAC under the same key."""
    return Session(value, _mac(key, "csrf:" + value))


def _now_ms() -> int:
    # Sessions are the server's own, not an app's: the real time, never an app's moved clock.
    return time.time_ns() // 1_000_000


async def session_of(request: HTTPConnection) -> Session | None:
    """The request's valid session, if its cookie holds one."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    key = await signing_key(request.app.state)
    return verify(key, value) if key is not None else None


async def _signed_in(request: Request) -> Session:
    found = await session_of(request)
    if found is None:
        raise SignInRequired()
    return found


async def _changing(request: Request) -> Session:
    """A signed-in change: its CSRF token must be the session's."""
    found = await _signed_in(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        given = str((await request.form()).get(CSRF_FIELD, ""))
    if not given or not hmac.compare_digest(given, found.csrf):
        raise CsrfRefused()
    return found


SignedIn = Annotated[Session, Depends(_signed_in)]
Change = Annotated[Session, Depends(_changing)]
