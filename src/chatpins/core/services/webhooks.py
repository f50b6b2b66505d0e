"""Webhooks: an app's subscriptions, and the rules of delivering to them.

Delivery is at-least-once. The outbox is read from each webhook's cursor; the events it wants
become delivery rows and the cursor moves in one transaction, so a crash between commit and
delivery loses nothing: a restarted worker carries on from the cursor and the pending rows.
A failed attempt is retried with exponential back-off and jitter until the format's attempts
run out (then the delivery is ``failed``, kept and visible). A webhook that fails
``pause_after`` times in a row is paused, leaving every other webhook alone; resuming it makes
its pending deliveries due at once and its cursor carries on where it stopped.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from chatpins.core.context import Deps
from chatpins.core.entities import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookStatus,
)
from chatpins.core.errors import InvalidArgument, LimitExceeded, NotFound, Reason

# Refuses (``InvalidArgument``) a URL whose target may not be delivered to. The address policy
# lives with delivery (``chatpins.delivery.targets``); core asks it after its own URL rule.
TargetCheck = Callable[[str], None]

FORMATS = ("native", "feishu")
MAX_WEBHOOKS_PER_APP = 20
MAX_ERROR_CHARS = 500

# Seconds to wait after the n-th failed attempt. Feishu re-sends after 15 s, 5 min, 1 h and 6 h
# (four retries at most, feishu.md §7); the native schedule doubles from 10 s up to an hour,
# for 12 attempts over about three hours.
FEISHU_RETRIES_S = (15.0, 300.0, 3600.0, 21600.0)
NATIVE_BASE_S, NATIVE_CAP_S, NATIVE_ATTEMPTS = 10.0, 3600.0, 12


@dataclass(frozen=True)
class DeliveryRules:
    """Knobs from settings. ``retry_scale`` multiplies every wait (tests and demos shrink it)."""

    retry_scale: float = 1.0
    pause_after: int = 20

    def max_attempts(self, format_: str) -> int:
        return len(FEISHU_RETRIES_S) + 1 if format_ == "feishu" else NATIVE_ATTEMPTS

    def delay_s(self, format_: str, failures: int, jitter: float) -> float:
        """The wait after ``failures`` failed attempts; ``jitter`` in [0, 1) spreads native
        retries over the upper half of the interval, so many failures do not retry in step."""
        if format_ == "feishu":
            base = FEISHU_RETRIES_S[min(failures, len(FEISHU_RETRIES_S)) - 1]
            return base * self.retry_scale
        full = min(NATIVE_CAP_S, NATIVE_BASE_S * 2 ** (failures - 1))
        return full * (0.5 + jitter / 2) * self.retry_scale


@dataclass(frozen=True)
class WebhookSpec:
    url: str
    format: str = "native"
    event_types: list[str] = dataclasses.field(default_factory=list)
    verification_token: str = ""
    encrypt_key: str = ""
    after: int | None = None  # deliver events after this seq; None: from now on


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error before any status."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _check_url(url: str, check_target: TargetCheck | None) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2048:
        raise InvalidArgument(
            Reason.INVALID_WEBHOOK_URL, "an http(s) URL of at most 2048 characters"
        )
    if check_target is not None:
        check_target(url)


def _matches(pattern: str, event_type: str) -> bool:
    """A type, or a family of them: ``pin.*`` matches ``pin.created`` (the family ends at
    the dot)."""
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def _check_types(event_types: list[str], known: Collection[str]) -> None:
    unknown = [t for t in event_types if not any(_matches(t, k) for k in known)]
    if unknown:
        raise InvalidArgument(Reason.UNKNOWN_EVENT_TYPES, ", ".join(unknown))


def wants(webhook: Webhook, event_type: str) -> bool:
    """Whether the webhook subscribed to ``event_type`` (``[]`` is all, ``pin.*`` a family)."""
    return not webhook.event_types or any(_matches(t, event_type) for t in webhook.event_types)


def validate(
    spec: WebhookSpec, known_types: Collection[str], check_target: TargetCheck | None = None
) -> None:
    if spec.format not in FORMATS:
        raise InvalidArgument(
            Reason.UNKNOWN_WEBHOOK_FORMAT, f"format is one of {', '.join(FORMATS)}"
        )
    _check_url(spec.url, check_target)
    _check_types(spec.event_types, known_types)


async def register(
    deps: Deps,
    app_id: str,
    spec: WebhookSpec,
    known_types: Collection[str],
    check_target: TargetCheck | None = None,
) -> Webhook:
    validate(spec, known_types, check_target)
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        if await uow.apps.get(app_id) is None:
            raise NotFound(Reason.APP_NOT_FOUND, app_id)
        if len(await uow.webhooks.of_app(app_id)) >= MAX_WEBHOOKS_PER_APP:
            raise LimitExceeded(Reason.WEBHOOK_LIMIT, str(MAX_WEBHOOKS_PER_APP))
        head = await uow.events.head(app_id)
        if spec.after is not None and not 0 <= spec.after <= head:
            raise InvalidArgument(Reason.INVALID_CURSOR, f"after is a seq from 0 to {head}")
        secret = (
            spec.encrypt_key
            if spec.format == "feishu"
            else "whsec_" + base64.b64encode(bytes.fromhex(deps.ids.hex(48))).decode()
        )
        webhook = Webhook(
            app_id=app_id,
            id="wh_" + deps.ids.hex(24),
            url=spec.url,
            format=spec.format,
            event_types=list(dict.fromkeys(spec.event_types)),
            secret=secret,
            verification_token=spec.verification_token,
            status=WebhookStatus.ACTIVE,
            consecutive_failures=0,
            cursor=head if spec.after is None else spec.after,
            created_at=now,
        )
        await uow.webhooks.add(webhook)
    return webhook


async def list_webhooks(deps: Deps, app_id: str) -> list[Webhook]:
    async with deps.uow() as uow:
        return await uow.webhooks.of_app(app_id)


async def get_webhook(deps: Deps, app_id: str, webhook_id: str) -> Webhook:
    async with deps.uow() as uow:
        webhook = await uow.webhooks.get(app_id, webhook_id)
    if webhook is None:
        raise NotFound(Reason.WEBHOOK_NOT_FOUND, webhook_id)
    return webhook


async def update_webhook(
    deps: Deps,
    app_id: str,
    webhook_id: str,
    *,
    known_types: Collection[str],
    url: str | None = None,
    event_types: list[str] | None = None,
    status: WebhookStatus | None = None,
    check_target: TargetCheck | None = None,
) -> Webhook:
    """Change a webhook. Setting ``active`` on a paused one resumes it: the failure count
    restarts and its pending deliveries are due now."""
    if url is not None:
        _check_url(url, check_target)
    if event_types is not None:
        _check_types(event_types, known_types)
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        webhook = await uow.webhooks.get(app_id, webhook_id)
        if webhook is None:
            raise NotFound(Reason.WEBHOOK_NOT_FOUND, webhook_id)
        if url is not None:
            webhook.url = url
        if event_types is not None:
            webhook.event_types = list(dict.fromkeys(event_types))
        if status is WebhookStatus.ACTIVE and webhook.status is WebhookStatus.PAUSED:
            webhook.status, webhook.paused_at, webhook.consecutive_failures = status, None, 0
            await uow.deliveries.release_pending(webhook, now)
        elif status is WebhookStatus.PAUSED and webhook.status is WebhookStatus.ACTIVE:
            webhook.status, webhook.paused_at = status, now
        await uow.webhooks.update(webhook)
    return webhook


async def delete_webhook(deps: Deps, app_id: str, webhook_id: str) -> None:
    async with deps.uow(write=True) as uow:
        if await uow.webhooks.get(app_id, webhook_id) is None:
            raise NotFound(Reason.WEBHOOK_NOT_FOUND, webhook_id)
        await uow.webhooks.delete(app_id, webhook_id)


@dataclass(frozen=True)
class DeliveryView:
    delivery: Delivery
    attempts: list[Attempt]


async def list_deliveries(
    deps: Deps,
    app_id: str,
    webhook_id: str,
    *,
    status: DeliveryStatus | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[DeliveryView]:
    """A webhook's deliveries in ``seq`` order, each with its attempts."""
    if after_seq < 0 or not 1 <= limit <= 1000:
        raise InvalidArgument(Reason.INVALID_CURSOR, "after_seq >= 0, limit 1-1000")
    async with deps.uow() as uow:
        webhook = await uow.webhooks.get(app_id, webhook_id)
        if webhook is None:
            raise NotFound(Reason.WEBHOOK_NOT_FOUND, webhook_id)
        deliveries = await uow.deliveries.page(webhook, status, after_seq, limit)
        attempts = await uow.deliveries.attempts(app_id, [d.id for d in deliveries])
    return [DeliveryView(d, attempts[d.id]) for d in deliveries]


# ----------------------------------------------------------------------------- the worker's side


async def active_webhooks(deps: Deps) -> list[Webhook]:
    async with deps.uow() as uow:
        return await uow.webhooks.active()


@dataclass(frozen=True)
class Wanted:
    """One event a webhook wants, under the name its format gives it."""

    seq: int
    event_type: str
    event_id: str


async def schedule(deps: Deps, webhook: Webhook, wanted: list[Wanted], up_to: int) -> bool:
    """Turn the wanted events up to ``up_to`` into due deliveries and move the cursor there,
    together. False (nothing written) if another worker moved the cursor first."""
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        if not await uow.webhooks.advance_cursor(webhook, webhook.cursor, up_to):
            return False
        await uow.deliveries.add_many(
            [
                Delivery(
                    app_id=webhook.app_id,
                    id="dlv_" + deps.ids.hex(24),
                    webhook_id=webhook.id,
                    seq=w.seq,
                    event_type=w.event_type,
                    event_id=w.event_id,
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                for w in wanted
            ]
        )
    return True


async def claim(deps: Deps, webhook: Webhook, limit: int, lease_ms: int) -> list[Delivery]:
    """Lease up to ``limit`` of the webhook's due deliveries. Looks first without the write
    lock: most rounds find nothing due, and must not queue behind the writes that make
    events."""
    now = deps.clock.now_ms()
    async with deps.uow() as uow:
        if not await uow.deliveries.any_due(webhook, now):
            return []
    async with deps.uow(write=True) as uow:
        return await uow.deliveries.claim_due(webhook, now, limit, now + lease_ms)


async def backlog(deps: Deps, cap: int) -> int:
    """Deliveries waiting to be sent, of every app, counted up to ``cap``."""
    async with deps.uow() as uow:
        return await uow.deliveries.count_pending(cap)


async def release(deps: Deps, deliveries: list[Delivery]) -> int:
    """Give back the leases of deliveries this worker will not attempt (it is stopping), so
    another instance sends them now rather than when the leases run out. Returns how many
    were still ours to give back."""
    if not deliveries:
        return 0
    async with deps.uow(write=True) as uow:
        return sum([await uow.deliveries.release_lease(d) for d in deliveries])


async def record_attempt(
    deps: Deps,
    webhook: Webhook,
    delivery: Delivery,
    outcome: Outcome,
    rules: DeliveryRules,
    jitter: float,
) -> Delivery:
    """Store the attempt and what follows from it: delivered, retried later, or failed for
    good; and the webhook's run of failures, which pauses it when too long."""
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        delivery.attempts += 1
        delivery.leased_until = 0
        delivery.last_status_code = outcome.status_code
        delivery.last_error = (outcome.error or "")[:MAX_ERROR_CHARS] or None
        await uow.deliveries.add_attempt(
            delivery,
            Attempt(
                delivery_id=delivery.id,
                number=delivery.attempts,
                at=now,
                duration_ms=outcome.duration_ms,
                status_code=outcome.status_code,
                error=delivery.last_error,
            ),
        )
        if outcome.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            await uow.webhooks.count_success(webhook)
        else:
            if delivery.attempts >= rules.max_attempts(webhook.format):
                delivery.status = DeliveryStatus.FAILED
            else:
                wait_s = rules.delay_s(webhook.format, delivery.attempts, jitter)
                delivery.next_attempt_at = now + int(wait_s * 1000)
            failures = await uow.webhooks.count_failure(webhook)
            current = await uow.webhooks.get(webhook.app_id, webhook.id)
            if (
                current is not None
                and current.status is WebhookStatus.ACTIVE
                and failures >= rules.pause_after
            ):
                current.status, current.paused_at = WebhookStatus.PAUSED, now
                await uow.webhooks.update(current)
        await uow.deliveries.update(delivery)
    return delivery
