"""What every fuzz case checks after its request: liveness, the outbox, the envelope.

- Liveness: right after the case, `GET /v1/health` answers 200 within 100 ms. The connection is
  opened first and not timed (a busy accept queue is not the question); the one request is.
- Nothing changed: every change in chatpins writes an event in the same transaction (the outbox,
  docs/events.md), so a refused request must leave the app's outbox as it was.
- The envelope: each dialect's own shape, strictly valid JSON in UTF-8, never a 5xx.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from hypothesis import settings

from tests.e2e.fuzz.strategies import Payload

HEALTH_BUDGET_S = 0.100
HEALTH_SAMPLES = 3
# A hung server is a finding, not a reason to wait for minutes.
REQUEST_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Plain HTTP on loopback: no TLS, so no CA bundle to load (150 ms per client otherwise).
NO_TLS = False
PROFILE_ENV = "CHATPINS_FUZZ_PROFILE"

F = TypeVar("F", bound=Callable[..., Any])


def cases(weight: float = 1.0) -> Callable[[F], F]:
    """Hypothesis settings of the selected profile (`CHATPINS_FUZZ_PROFILE`, default `ci`;
    registered in conftest.py), with `weight` times the profile's number of examples."""
    profile = settings.get_profile(os.environ.get(PROFILE_ENV, "ci"))
    examples = max(1, round(profile.max_examples * weight))
    return settings(profile, max_examples=examples)


def excerpt(data: bytes | str, limit: int = 300) -> str:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


# ----------------------------------------------------------------------------- liveness


def assert_healthy(base_url: str, case: object) -> None:
    """`GET /v1/health` answers 200 within 100 ms, on a fresh connection opened beforehand.

    The server's answer time is the quickest of three health calls in a row on that
    connection. A server that is stuck (the freeze this guards against lasted minutes) fails
    all three; one slow sample alone measures this 2-core machine's scheduler (the test
    process, the server and PostgreSQL share it), not the server."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10.0)
    samples: list[float] = []
    try:
        conn.connect()
        for _ in range(HEALTH_SAMPLES):
            started = time.perf_counter()
            try:
                conn.request("GET", "/v1/health")
                reply = conn.getresponse()
                reply.read()
            except OSError as exc:
                raise AssertionError(f"/v1/health did not answer after {case!r}: {exc!r}") from exc
            samples.append(time.perf_counter() - started)
            assert reply.status == 200, f"/v1/health answered {reply.status} after {case!r}"
    finally:
        conn.close()
    assert min(samples) < HEALTH_BUDGET_S, (
        f"/v1/health took {', '.join(f'{s * 1000:.0f}' for s in samples)} ms "
        f"(budget {HEALTH_BUDGET_S * 1000:.0f} ms) right after {case!r}"
    )


# ----------------------------------------------------------------------------- outbox


@dataclass
class Outbox:
    """The app's event outbox read through `GET /v1/apps/{id}/events` (admin key)."""

    admin: httpx.Client
    app_id: str
    cursor: int = 0

    def __post_init__(self) -> None:
        self.catch_up()

    def _page(self) -> dict[str, Any]:
        reply = self.admin.get(
            f"/v1/apps/{self.app_id}/events", params={"after": self.cursor, "limit": 1000}
        )
        assert reply.status_code == 200, f"outbox read: {reply.status_code} {excerpt(reply.text)}"
        page: dict[str, Any] = reply.json()
        return page

    def new_events(self) -> list[dict[str, Any]]:
        """Events written since the cursor (the cursor does not move)."""
        events: list[dict[str, Any]] = self._page()["events"]
        return events

    def catch_up(self) -> None:
        while True:
            page = self._page()
            if not page["events"]:
                return
            self.cursor = page["next_after"]

    def assert_unchanged(self, case: object, answer: str) -> None:
        """A refused request wrote nothing (no event after the cursor)."""
        events = self.new_events()
        kinds = [e["type"] for e in events]
        assert not events, f"refused request changed the app: {kinds} after {case!r} ({answer})"


# ----------------------------------------------------------------------------- requests


def send(
    http: httpx.Client,
    method: str,
    target: str,
    payload: Payload | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request with exactly these bytes; `target` is a raw path and query, sent as is."""
    all_headers = dict(headers or {})
    content: bytes | None = None
    if payload is not None:
        content = payload.content
        if payload.content_type is not None:
            all_headers["Content-Type"] = payload.content_type
    return http.request(method, target, content=content, headers=all_headers)


def strict_json(reply: httpx.Response, case: object) -> Any:
    """The reply body as strict JSON: UTF-8 (no raw surrogates), no NaN or Infinity."""
    where = f"{reply.request.method} {excerpt(reply.request.url.raw_path, 120)} after {case!r}"
    try:
        text = reply.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"reply is not UTF-8 ({exc}): {where}") from exc

    def refuse(name: str) -> Any:
        raise ValueError(f"non-JSON constant {name}")

    # Deep replies are legal JSON; Python's parser counts its nesting against the recursion
    # limit, so lift it while parsing rather than blame the server for the client's limit.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 30_000))
    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        raise AssertionError(
            f"reply is not JSON ({exc}): HTTP {reply.status_code} "
            f"{reply.headers.get('content-type')!r} {excerpt(text)!r}: {where}"
        ) from exc
    finally:
        sys.setrecursionlimit(limit)


def assert_not_5xx(reply: httpx.Response, case: object) -> None:
    assert reply.status_code < 500, (
        f"HTTP {reply.status_code} {excerpt(reply.content)!r} for "
        f"{reply.request.method} {excerpt(reply.request.url.raw_path, 120)} with {case!r}"
    )


@dataclass
class Verdict:
    """The dialect-neutral reading of one answer: was it refused, and what it said."""

    refused: bool
    answer: str
    body: Any = field(repr=False, default=None)


def after_case(
    base_url: str,
    outbox: Outbox,
    verdict: Verdict,
    case: object,
    read_backs: Iterable[Callable[[], None]] = (),
    *,
    always_read: bool = False,
) -> None:
    """The checks every case ends with: health right after; a refused case changed nothing;
    after an accepted one, the reads of what it touched still answer.

    Generated cases read back only after an accepted case: a refused one provably wrote no
    event, and anything it might have written unnoticed is still read by the next accepted
    case and by the world's last read when the test ends. Regression cases always read.
    """
    assert_healthy(base_url, case)
    if verdict.refused:
        outbox.assert_unchanged(case, verdict.answer)
    else:
        outbox.catch_up()
    if always_read or not verdict.refused:
        for read_back in read_backs:
            read_back()


def bind(target: str, names: dict[str, str]) -> str:
    """Put the world's real ids in place of `@name@` placeholders (strategies only know names)."""
    for name, value in names.items():
        target = target.replace(f"@{name}@", value)
    return target


def bind_payload(payload: Payload, names: dict[str, str]) -> Payload:
    content = payload.content
    for name, value in names.items():
        content = content.replace(f"@{name}@".encode(), value.encode())
    return Payload(content, payload.content_type, payload.label)


MIB = 1024 * 1024
# Just over the cap: big enough to be refused, small enough to sit in loopback socket buffers.
OVERSIZE_BYTES = MIB + 256 * 1024
OVERSIZE_BUDGET_S = 2.0


def post_streamed(
    base_url: str,
    target: str,
    headers: dict[str, str],
    *,
    chunked: bool = True,
    total: int = OVERSIZE_BYTES,
) -> tuple[httpx.Response, float]:
    """POST a JSON-looking body of `total` bytes: in 64 KiB chunks without Content-Length
    (chunked transfer: the cap must hold while streaming, not only on a declared length), or
    in one piece with its Content-Length declared."""

    def chunks() -> Iterator[bytes]:
        yield b'{"a":"'
        sent = 6
        while sent < total - 2:
            size = min(64 * 1024, total - 2 - sent)
            yield b"x" * size
            sent += size
        yield b'"}'

    content: Iterator[bytes] | bytes = chunks() if chunked else b"".join(chunks())
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT, verify=NO_TLS) as http:
        started = time.perf_counter()
        try:
            reply = http.post(target, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise AssertionError(
                f"no answer to a {total}-byte body (chunked={chunked}) on {target}: {exc!r}"
            ) from exc
        elapsed = time.perf_counter() - started
    declared = reply.request.headers.get("content-length")
    assert declared is None if chunked else declared == str(total)
    return reply, elapsed
