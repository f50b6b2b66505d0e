from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chatpins.core.entities import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookStatus,
)
from chatpins.storage.repositories._base import Repository, from_row, insert_selecting, to_row
from chatpins.storage.tables import webhook_attempts, webhook_deliveries, webhooks

# Every statement names the app first: the worker's calls get the ``Webhook`` or ``Delivery``
# (both carry ``app_id``), never an id alone, so each statement reads by a key that leads with
# ``app_id`` and, distributed by it (docs/scaling.md), goes to that app's shard only. The two
# exceptions span apps on purpose and say so: ``WebhookRepository.active`` and
# ``DeliveryRepository.count_pending``.


def _is(webhook: Webhook) -> tuple[sa.ColumnElement[bool], ...]:
    """The webhook's row, by its key."""
    return webhooks.c.app_id == webhook.app_id, webhooks.c.id == webhook.id


def _of(webhook: Webhook) -> tuple[sa.ColumnElement[bool], ...]:
    """The webhook's deliveries (``uq_webhook_deliveries_event`` leads with these two)."""
    return (
        webhook_deliveries.c.app_id == webhook.app_id,
        webhook_deliveries.c.webhook_id == webhook.id,
    )


class WebhookRepository(Repository):
    async def add(self, webhook: Webhook) -> None:
        await self._conn.execute(webhooks.insert().values(**to_row(webhook, webhooks)))

    async def get(self, app_id: str, webhook_id: str) -> Webhook | None:
        query = webhooks.select().where(webhooks.c.app_id == app_id, webhooks.c.id == webhook_id)
        return await self._one(Webhook, query)

    async def of_app(self, app_id: str) -> list[Webhook]:
        query = (
            webhooks.select()
            .where(webhooks.c.app_id == app_id)
            .order_by(webhooks.c.created_at, webhooks.c.id)
        )
        return await self._all(Webhook, query)

    async def active(self) -> list[Webhook]:
        """Every app's active webhooks: the delivery worker's round, which serves every app.
        A deliberate cross-app query (it asks every shard), once per round; what the round
        then does to each webhook names its app."""
        query = webhooks.select().where(webhooks.c.status == WebhookStatus.ACTIVE.value)
        return await self._all(Webhook, query)

    async def update(self, webhook: Webhook) -> None:
        """Everything but the cursor, which only ``advance_cursor`` moves (a stale copy must
        never move it back)."""
        values = to_row(webhook, webhooks)
        del values["cursor"]
        await self._conn.execute(
            webhooks.update()
            .where(webhooks.c.app_id == webhook.app_id, webhooks.c.id == webhook.id)
            .values(**values)
        )

    async def advance_cursor(self, webhook: Webhook, seen: int, to: int) -> bool:
        """Move the cursor from ``seen`` to ``to``; False if someone else moved it first."""
        result = await self._conn.execute(
            webhooks.update().where(*_is(webhook), webhooks.c.cursor == seen).values(cursor=to)
        )
        return result.rowcount == 1

    async def count_failure(self, webhook: Webhook) -> int:
        """One more failure in a row; the new count."""
        result = await self._conn.execute(
            webhooks.update()
            .where(*_is(webhook))
            .values(consecutive_failures=webhooks.c.consecutive_failures + 1)
            .returning(webhooks.c.consecutive_failures)
        )
        return int(result.scalar_one_or_none() or 0)

    async def count_success(self, webhook: Webhook) -> None:
        await self._conn.execute(
            webhooks.update().where(*_is(webhook)).values(consecutive_failures=0)
        )

    async def delete(self, app_id: str, webhook_id: str) -> None:
        of_webhook = sa.and_(
            webhook_deliveries.c.app_id == app_id, webhook_deliveries.c.webhook_id == webhook_id
        )
        owned = sa.select(webhook_deliveries.c.id).where(of_webhook)
        await self._conn.execute(
            webhook_attempts.delete().where(
                webhook_attempts.c.app_id == app_id, webhook_attempts.c.delivery_id.in_(owned)
            )
        )
        await self._conn.execute(webhook_deliveries.delete().where(of_webhook))
        await self._conn.execute(
            webhooks.delete().where(webhooks.c.app_id == app_id, webhooks.c.id == webhook_id)
        )


class DeliveryRepository(Repository):
    async def add_many(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            rows = [to_row(d, webhook_deliveries) for d in deliveries]
            await self._conn.execute(webhook_deliveries.insert(), rows)

    async def get(self, app_id: str, delivery_id: str) -> Delivery | None:
        query = webhook_deliveries.select().where(
            webhook_deliveries.c.app_id == app_id, webhook_deliveries.c.id == delivery_id
        )
        return await self._one(Delivery, query)

    async def page(
        self, webhook: Webhook, status: DeliveryStatus | None, after_seq: int, limit: int
    ) -> list[Delivery]:
        where = [*_of(webhook), webhook_deliveries.c.seq > after_seq]
        if status is not None:
            where.append(webhook_deliveries.c.status == status.value)
        query = (
            webhook_deliveries.select()
            .where(*where)
            .order_by(webhook_deliveries.c.seq, webhook_deliveries.c.event_type)
            .limit(limit)
        )
        return await self._all(Delivery, query)

    async def any_due(self, webhook: Webhook, now: int) -> bool:
        query = sa.select(webhook_deliveries.c.id).where(*self._due(webhook, now)).limit(1)
        return (await self._conn.execute(query)).first() is not None

    @staticmethod
    def _due(webhook: Webhook, now: int) -> list[Any]:
        return [
            *_of(webhook),
            webhook_deliveries.c.status == DeliveryStatus.PENDING.value,
            webhook_deliveries.c.next_attempt_at <= now,
            webhook_deliveries.c.leased_until <= now,
        ]

    async def claim_due(self, webhook: Webhook, now: int, limit: int, until: int) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries until ``until``: a lease held by a worker
        that died runs out, and another (or the restarted one) takes the delivery over."""
        query = (
            webhook_deliveries.select()
            .where(*self._due(webhook, now))
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.seq)
            .limit(limit)
        )
        claimed = []
        for row in (await self._conn.execute(query)).all():
            result = await self._conn.execute(
                webhook_deliveries.update()
                .where(
                    webhook_deliveries.c.app_id == row.app_id,
                    webhook_deliveries.c.id == row.id,
                    webhook_deliveries.c.leased_until <= now,
                )
                .values(leased_until=until)
            )
            if result.rowcount == 1:
                delivery = from_row(Delivery, row)
                delivery.leased_until = until
                claimed.append(delivery)
        return claimed

    async def update(self, delivery: Delivery) -> None:
        values = to_row(delivery, webhook_deliveries)
        values["status"] = delivery.status.value
        await self._conn.execute(
            webhook_deliveries.update()
            .where(
                webhook_deliveries.c.app_id == delivery.app_id,
                webhook_deliveries.c.id == delivery.id,
            )
            .values(**values)
        )

    async def count_pending(self, cap: int) -> int:
        """Pending deliveries of every app, counted up to ``cap`` (a gauge, read per scrape:
        the count stays bounded however large a backlog grows). A deliberate cross-app query
        (it asks every shard): the metric is the whole server's backlog."""
        pending = (
            sa.select(webhook_deliveries.c.id)
            .where(webhook_deliveries.c.status == DeliveryStatus.PENDING.value)
            .limit(cap)
            .subquery()
        )
        return int(
            (await self._conn.execute(sa.select(sa.func.count()).select_from(pending))).scalar_one()
        )

    async def release_lease(self, delivery: Delivery) -> bool:
        """Give a leased delivery back (its worker is stopping without an attempt): due at once
        for any worker. Only a lease still ours is given back: one that ran out may already be
        another worker's."""
        result = await self._conn.execute(
            webhook_deliveries.update()
            .where(
                webhook_deliveries.c.app_id == delivery.app_id,
                webhook_deliveries.c.id == delivery.id,
                webhook_deliveries.c.leased_until == delivery.leased_until,
            )
            .values(leased_until=0)
        )
        return bool(result.rowcount == 1)

    async def release_pending(self, webhook: Webhook, now: int) -> None:
        """Every pending delivery of the webhook is due now (a webhook resumed by hand)."""
        await self._conn.execute(
            webhook_deliveries.update()
            .where(*_of(webhook), webhook_deliveries.c.status == DeliveryStatus.PENDING.value)
            .values(next_attempt_at=now)
        )

    async def add_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        """Stored under its delivery's app (an attempt names only its delivery); nothing is
        stored when the delivery is gone (its webhook deleted meanwhile). The app is read
        from the delivery's row, so the insert and its source stay on one shard."""
        values = to_row(attempt, webhook_attempts)
        app = {"app_id": webhook_deliveries.c.app_id}
        of_delivery = sa.and_(
            webhook_deliveries.c.app_id == delivery.app_id,
            webhook_deliveries.c.id == attempt.delivery_id,
        )
        await self._conn.execute(insert_selecting(webhook_attempts, values, app, of_delivery))

    async def attempts(self, app_id: str, delivery_ids: list[str]) -> dict[str, list[Attempt]]:
        """The attempts of the app's deliveries ``delivery_ids``, each delivery's in order."""
        found: dict[str, list[Attempt]] = {d: [] for d in delivery_ids}
        if not delivery_ids:
            return found
        query = (
            sa.select(webhook_attempts)
            .where(
                webhook_attempts.c.app_id == app_id,
                webhook_attempts.c.delivery_id.in_(delivery_ids),
            )
            .order_by(webhook_attempts.c.delivery_id, webhook_attempts.c.number)
        )
        for row in await self._conn.execute(query):
            attempt = from_row(Attempt, row)
            found[attempt.delivery_id].append(attempt)
        return found
