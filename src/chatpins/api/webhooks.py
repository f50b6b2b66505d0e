"""Webhooks over the native API (admin key): register, list, change, pause/resume, remove, and
see every delivery with its attempts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from chatpins.api.errors import responses
from chatpins.api.provisioning import INT64_MAX, DepsDep, Strict, iso, require_admin
from chatpins.core.entities import DeliveryStatus, Webhook, WebhookStatus
from chatpins.core.services import apps
from chatpins.core.services import webhooks as service
from chatpins.delivery.webhooks import WebhookWorker, known_types, verify_feishu_url

router = APIRouter(
    prefix="/v1/apps/{app_id}/webhooks",
    dependencies=[Depends(require_admin)],
    tags=["webhooks"],
    responses=responses(400, 401, 404, 413),
)
MAX_DELIVERIES_PAGE = 1000


class FeishuOptions(Strict):
    verification_token: str = Field(default="", max_length=255)
    encrypt_key: str = Field(default="", max_length=255)


class WebhookCreate(Strict):
    url: str = Field(min_length=1, max_length=2048)
    format: Literal["native", "feishu"] = "native"
    event_types: list[str] = Field(default_factory=list, max_length=50)
    after: int | None = Field(default=None, ge=0, le=INT64_MAX)
    feishu: FeishuOptions | None = None


class WebhookUpdate(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    event_types: list[str] | None = Field(default=None, max_length=50)
    status: Literal["active", "paused"] | None = None


# Replies, for the OpenAPI document only: the routes return the rendered dicts unchanged.


class FeishuWebhookReply(BaseModel):
    verification_token: str
    encrypted: bool


class WebhookReply(BaseModel):
    id: str
    url: str
    format: Literal["native", "feishu"]
    event_types: list[str]
    status: Literal["active", "paused"]
    consecutive_failures: int
    cursor: int
    created_at: str
    paused_at: str | None
    secret: str | None = Field(default=None, description="The signing secret (native format)")
    feishu: FeishuWebhookReply | None = Field(default=None, description="Feishu format only")


class WebhookList(BaseModel):
    webhooks: list[WebhookReply]


class AttemptReply(BaseModel):
    number: int
    at: str
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryReply(BaseModel):
    id: str
    seq: int
    event_type: str
    event_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: str | None
    delivered_at: str | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[AttemptReply]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryReply]


def render_webhook(webhook: Webhook) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "format": webhook.format,
        "event_types": webhook.event_types,
        "status": webhook.status.value,
        "consecutive_failures": webhook.consecutive_failures,
        "cursor": webhook.cursor,
        "created_at": iso(webhook.created_at),
        "paused_at": iso(webhook.paused_at) if webhook.paused_at else None,
    }
    if webhook.format == "native":
        shown["secret"] = webhook.secret
    else:
        shown["feishu"] = {
            "verification_token": webhook.verification_token,
            "encrypted": bool(webhook.secret),
        }
    return shown


def render_delivery(view: service.DeliveryView) -> dict[str, Any]:
    d = view.delivery
    return {
        "id": d.id,
        "seq": d.seq,
        "event_type": d.event_type,
        "event_id": d.event_id,
        "status": d.status.value,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at) if d.status is DeliveryStatus.PENDING else None,
        "delivered_at": iso(d.delivered_at) if d.delivered_at else None,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "attempt_log": [
            {
                "number": a.number,
                "at": iso(a.at),
                "duration_ms": a.duration_ms,
                "status_code": a.status_code,
                "error": a.error,
            }
            for a in view.attempts
        ],
    }


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses=responses(400, 422, reply=WebhookReply, status=201),
)
async def create_webhook(
    app_id: str, body: WebhookCreate, request: Request, deps: DepsDep
) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    feishu = body.feishu or FeishuOptions()
    spec = service.WebhookSpec(
        url=body.url,
        format=body.format,
        event_types=body.event_types,
        verification_token=feishu.verification_token,
        encrypt_key=feishu.encrypt_key,
        after=body.after,
    )
    worker: WebhookWorker = request.app.state.webhooks
    check = worker.targets.check_url
    if body.format == "feishu":
        service.validate(spec, known_types(body.format), check)
        await verify_feishu_url(worker.http, spec)
    webhook = await service.register(deps, app.id, spec, known_types(body.format), check)
    worker.watch(app.id)  # its first event wakes the worker, not the next poll
    return render_webhook(webhook)


@router.get("", response_model=None, responses=responses(reply=WebhookList))
async def list_webhooks(app_id: str, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    return {"webhooks": [render_webhook(w) for w in await service.list_webhooks(deps, app.id)]}


@router.get("/{webhook_id}", response_model=None, responses=responses(reply=WebhookReply))
async def get_webhook(app_id: str, webhook_id: str, deps: DepsDep) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    return render_webhook(await service.get_webhook(deps, app.id, webhook_id))


@router.patch("/{webhook_id}", response_model=None, responses=responses(400, reply=WebhookReply))
async def update_webhook(
    app_id: str, webhook_id: str, body: WebhookUpdate, request: Request, deps: DepsDep
) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    current = await service.get_webhook(deps, app.id, webhook_id)
    webhook = await service.update_webhook(
        deps,
        app.id,
        webhook_id,
        known_types=known_types(current.format),
        url=body.url,
        event_types=body.event_types,
        status=WebhookStatus(body.status) if body.status else None,
        check_target=request.app.state.webhooks.targets.check_url,
    )
    request.app.state.webhooks.watch(app.id)  # a resumed webhook starts at once
    return render_webhook(webhook)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(app_id: str, webhook_id: str, deps: DepsDep) -> Response:
    app = await apps.get_app(deps, app_id)
    await service.delete_webhook(deps, app.id, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=None,
    responses=responses(400, reply=DeliveryList),
)
async def list_deliveries(
    app_id: str,
    webhook_id: str,
    deps: DepsDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
    after_seq: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES_PAGE)] = 100,
) -> dict[str, Any]:
    app = await apps.get_app(deps, app_id)
    views = await service.list_deliveries(
        deps,
        app.id,
        webhook_id,
        status=DeliveryStatus(status) if status else None,
        after_seq=after_seq,
        limit=limit,
    )
    return {"deliveries": [render_delivery(v) for v in views]}
