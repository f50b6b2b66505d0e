"""The webhook worker: turns the outbox into signed POSTs, with retries (rules in core).

Each round, for every active webhook: schedule the events past its cursor, then lease its due
deliveries (at most ``concurrency`` in flight per webhook, so a slow or dead endpoint holds only
its own slots) and POST each. A commit of an app that had an active webhook at the last round
wakes the worker at once (a commit of any other app has nothing to deliver, and a round per
commit would cost every write a transaction); otherwise it looks every ``poll_seconds``
(retries fall due, other processes commit, a webhook added by another process or the CLI).
A worker that dies mid-POST leaves a lease that runs out, and the delivery is sent again:
at-least-once, de-duplicated by the event id the receiver gets with it.

Formats: ``native`` (our event JSON, Standard Webhooks signature, see ``signing``) and
``feishu`` (Feishu's v2.0 envelope, encrypted and signed with the webhook's encrypt key).

Every POST goes through ``targets.guarded_client``: the target's address is resolved and
checked before each attempt (a refused one is a failed attempt, nothing sent), redirects are
not followed, and of a reply only its status and size are kept, never its body, so the
delivery log cannot be used to read what answers on an internal address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import structlog

from chatpins.core.context import Deps
from chatpins.core.entities import App, Delivery, DeliveryStatus, Event, Webhook
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.events import EventType, event_id
from chatpins.core.services import apps, outbox
from chatpins.core.services import webhooks as rules_
from chatpins.core.services.webhooks import DeliveryRules, Outcome, Wanted, WebhookSpec
from chatpins.delivery import signing
from chatpins.delivery.frames import native_event
from chatpins.delivery.hub import DeliveryObserver
from chatpins.delivery.targets import TargetPolicy, TargetRefused, guarded_client
from chatpins.dialects.feishu import events as feishu

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger(__name__)

PAGE = 500
FEISHU_TIMEOUT_S = 3.0  # Feishu's receivers must answer within 3 s (feishu.md §7)
FEISHU_CHALLENGE_TIMEOUT_S = 1.0  # ... and the URL check within 1 s
USER_AGENT = "chatpins-webhooks"
# A reply's size is counted up to this; its bytes are read only to count them.
REPLY_COUNT_CAP = 1 << 20

WEBHOOK = "webhook"
# What an attempt led to, for metrics: sent, to be tried again, given up (out of attempts).
_OUTCOMES = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.PENDING: "retrying",
    DeliveryStatus.FAILED: "failed",
}

# Every event type, in the enum's order: the one list lives in core.
NATIVE_EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)


def known_types(format_: str) -> Collection[str]:
    return feishu.EVENT_TYPES if format_ == "feishu" else NATIVE_EVENT_TYPES


def deliverable(webhook: Webhook, app: App, event: Event) -> list[Wanted]:
    """The deliveries one event makes for a webhook: by the webhook's format and types."""
    if webhook.format == "feishu":
        names = feishu.event_type_names(event, app)
        ids = [feishu.feishu_event_id(app.id, event.seq, n) for n in names]
    else:
        names, ids = [event.type], [event_id(app.id, event.seq)]
    return [
        Wanted(event.seq, name, id_)
        for name, id_ in zip(names, ids, strict=True)
        if rules_.wants(webhook, name)
    ]


def render(
    webhook: Webhook, app: App, event: Event, delivery: Delivery
) -> tuple[bytes, dict[str, str]]:
    now_s = int(time.time())
    if webhook.format == "feishu":
        body = dict(feishu.feishu_events(app, event)).get(delivery.event_type)
        document = feishu.envelope(
            app,
            webhook.verification_token,
            delivery.event_type,
            delivery.event_id,
            event.created_at,
            body,
        )
        return feishu.request(document, webhook.secret, now_s)
    payload = {"app_id": app.id, **native_event(delivery.event_id, event)}
    content = json.dumps(payload, ensure_ascii=False).encode()
    return content, signing.headers(webhook.secret, delivery.event_id, now_s, content)


async def verify_feishu_url(http: httpx.AsyncClient, spec: WebhookSpec) -> None:
    """Feishu's URL check before a subscription is saved: the receiver must echo a challenge."""
    url, challenge = spec.url, secrets.token_urlsafe(16)
    document = feishu.url_verification(spec.verification_token, challenge)
    body, headers = feishu.request(document, spec.encrypt_key, int(time.time()))
    import httpx

    try:
        timeout = FEISHU_CHALLENGE_TIMEOUT_S
        reply = await http.post(url, content=body, headers=headers, timeout=timeout)
        echoed = reply.json().get("challenge") if reply.status_code == 200 else None
    except TargetRefused as exc:
        raise InvalidArgument(Reason.WEBHOOK_TARGET_REFUSED, str(exc)) from exc
    except httpx.HTTPError as exc:
        raise InvalidArgument(Reason.URL_VERIFICATION_FAILED, f"{url}: {_failure(exc)}") from exc
    except (ValueError, AttributeError) as exc:
        raise InvalidArgument(Reason.URL_VERIFICATION_FAILED, f"{url}: not a JSON object") from exc
    if echoed != challenge:
        detail = f"{url} answered {reply.status_code} without the challenge"
        raise InvalidArgument(Reason.URL_VERIFICATION_FAILED, detail)


class WebhookWorker:
    def __init__(
        self,
        deps: Deps,
        rules: DeliveryRules,
        *,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        concurrency: int = 4,
        targets: TargetPolicy | None = None,
    ) -> None:
        self._deps = deps
        self.targets = targets or TargetPolicy()
        self._rules = rules
        self._poll = poll_seconds
        self._timeout = timeout_seconds
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._inflight: dict[str, set[asyncio.Task[None]]] = {}
        self._leased: dict[asyncio.Task[None], Delivery] = {}  # what each task was given
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        # Apps with an active webhook at the last round (None: no round yet, every commit wakes).
        self._watched: set[str] | None = None
        self.on_delivered: DeliveryObserver | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """Made on first use: a server without webhooks does not load an HTTP client."""
        if self._http is None:
            self._http = guarded_client(self.targets, headers={"User-Agent": USER_AGENT})
        return self._http

    def committed(self, app_id: str, seq: int) -> None:
        if self._watched is None or app_id in self._watched:
            self._wake.set()

    @property
    def round_due(self) -> bool:
        """Whether something woke the worker since its current round began."""
        return self._wake.is_set()

    def watch(self, app_id: str) -> None:
        """A webhook of ``app_id`` was added or changed here: its commits wake the worker from
        now on, and a round starts at once (a resumed webhook delivers what it missed)."""
        if self._watched is not None:
            self._watched.add(app_id)
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return sum(len(group) for group in self._inflight.values())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop leasing, let deliveries under way finish within ``grace_seconds``, then cancel
        the rest and give their leases back, so another instance sends them at once instead
        of when the leases run out."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        under_way = list(self._leased)
        if under_way and grace_seconds > 0:
            await asyncio.wait(under_way, timeout=grace_seconds)
        cut_short = [task for task in under_way if not task.done()]
        for task in cut_short:
            task.cancel()
        for task in cut_short:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await rules_.release(self._deps, [self._leased[t] for t in cut_short])
        except Exception:  # the database away too: the leases run out by themselves
            log.exception("webhook_leases_not_released")
        self._leased.clear()
        if self._http is not None:
            await self._http.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("webhook_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def run_round(self) -> None:
        found: dict[str, App] = {}
        active = await rules_.active_webhooks(self._deps)
        self._watched = {webhook.app_id for webhook in active}
        for webhook in active:
            if webhook.app_id not in found:
                found[webhook.app_id] = await apps.get_app(self._deps, webhook.app_id)
            app = found[webhook.app_id]
            await self._schedule(webhook, app)
            inflight = self._inflight.setdefault(webhook.id, set())
            free = self._concurrency - len(inflight)
            if free <= 0:
                continue
            lease_ms = int((self._timeout_for(webhook) + 5.0) * 1000)
            for delivery in await rules_.claim(self._deps, webhook, free, lease_ms):
                task = asyncio.create_task(self._deliver(webhook, app, delivery))
                inflight.add(task)
                self._leased[task] = delivery
                task.add_done_callback(inflight.discard)
                task.add_done_callback(self._forget_lease)

    async def _schedule(self, webhook: Webhook, app: App) -> None:
        while True:
            page = await outbox.events_after(self._deps, app.id, webhook.cursor, PAGE)
            if not page:
                return
            wanted = [w for event in page for w in deliverable(webhook, app, event)]
            if not await rules_.schedule(self._deps, webhook, wanted, page[-1].seq):
                return  # another worker got there first
            webhook.cursor = page[-1].seq
            if len(page) < PAGE:
                return

    def _forget_lease(self, task: asyncio.Task[None]) -> None:
        # Kept while stopping: stop() reads what a cancelled task had leased.
        if not task.cancelled():
            self._leased.pop(task, None)

    def _timeout_for(self, webhook: Webhook) -> float:
        return min(self._timeout, FEISHU_TIMEOUT_S) if webhook.format == "feishu" else self._timeout

    async def _deliver(self, webhook: Webhook, app: App, delivery: Delivery) -> None:
        event: Event | None = None
        try:
            event = await outbox.event(self._deps, app.id, delivery.seq)
            body, headers = render(webhook, app, event, delivery)
            outcome = await self._post(webhook, body, headers)
            settled = await rules_.record_attempt(
                self._deps, webhook, delivery, outcome, self._rules, random.random()
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # recorded nothing: the lease runs out and the delivery is retried
            log.exception("webhook_delivery_failed", delivery=delivery.id)
            self._observe("error", event)
            return
        self._observe(_OUTCOMES[settled.status], event)
        self._wake.set()  # a slot is free

    def _observe(self, outcome: str, event: Event | None) -> None:
        if self.on_delivered is not None:
            self.on_delivered(WEBHOOK, outcome, event.created_at if event is not None else 0)

    async def _post(self, webhook: Webhook, body: bytes, headers: dict[str, Any]) -> Outcome:
        import httpx

        limit = self._timeout_for(webhook)
        started = time.perf_counter()
        status, size, error = None, 0, None
        try:
            # One deadline for the whole attempt (httpx's applies to each step), so an
            # attempt never outlives its lease, however slowly a receiver drips its reply.
            async with asyncio.timeout(limit):
                request = self.http.stream(
                    "POST", webhook.url, content=body, headers=headers, timeout=limit
                )
                async with request as reply:
                    status = reply.status_code
                    async for chunk in reply.aiter_raw():
                        size += len(chunk)
                        if size > REPLY_COUNT_CAP:
                            break
        except TargetRefused as exc:
            error = str(exc)  # refused before connecting: nothing was sent
        except TimeoutError:
            if status is None:
                error = f"no answer within {limit:g} s"
        except httpx.HTTPError as exc:
            if status is None:
                error = _failure(exc)
        elapsed = int((time.perf_counter() - started) * 1000)
        if status is not None and not 200 <= status < 300:
            error = _describe_reply(status, size)
        return Outcome(status, error, elapsed)


def _failure(exc: httpx.HTTPError) -> str:
    """An attempt that got no status. Connection failures say why (refused, no route, no such
    name, a bad certificate); later ones are only named, since protocol errors quote the bytes
    the peer sent (an SSH or Redis banner on an internal port, say)."""
    import httpx

    if isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
        return f"{type(exc).__name__}: {exc}".strip()
    return type(exc).__name__


def _describe_reply(status: int, size: int) -> str:
    """What the log keeps of a failed reply: its status and size. Never its body: that would
    hand whoever registers a webhook what an internal address answers."""
    parts = [f"HTTP {status}"]
    if size > REPLY_COUNT_CAP:
        parts.append(f"over {REPLY_COUNT_CAP} bytes")
    elif size:
        parts.append(f"{size} bytes")
    if 300 <= status < 400:
        parts.append("redirect not followed")
    return ", ".join(parts)
