"""An app's clock over HTTP (admin key): a test suite moves one app's time to expire tokens
and pins, and to pass rate windows, without sleeping. Refused (403 ``test_controls_disabled``)
where test controls are off: the default in production mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from chatpins.api.bodies import Strict
from chatpins.api.errors import responses
from chatpins.api.provisioning import MAX_TIME_MS, DepsDep, require_admin
from chatpins.core.services import app_clocks

router = APIRouter(
    prefix="/v1",
    dependencies=[Depends(require_admin)],
    tags=["test controls"],
    responses=responses(400, 401, 403, 404, 413),
)


class ClockBody(Strict):
    """At most one of ``now_ms``, ``offset_ms``, ``advance_ms``; ``frozen`` stops (or runs)
    the clock from the new time, omitted: as it was."""

    now_ms: int | None = Field(default=None, ge=0, le=MAX_TIME_MS)
    offset_ms: int | None = Field(default=None, ge=-MAX_TIME_MS, le=MAX_TIME_MS)
    advance_ms: int | None = Field(default=None, ge=-MAX_TIME_MS, le=MAX_TIME_MS)
    frozen: bool | None = None


class ClockReply(BaseModel):
    app_id: str
    now_ms: int
    frozen: bool
    offset_ms: int


def _render(reading: app_clocks.ClockReading) -> dict[str, Any]:
    return {
        "app_id": reading.app_id,
        "now_ms": reading.now_ms,
        "frozen": reading.frozen,
        "offset_ms": reading.offset_ms,
    }


@router.get("/apps/{app_id}/clock", response_model=None, responses=responses(reply=ClockReply))
async def get_clock(app_id: str, deps: DepsDep) -> dict[str, Any]:
    """The app's time now, and whether it is stopped."""
    return _render(await app_clocks.read_clock(deps, app_id))


@router.put("/apps/{app_id}/clock", response_model=None, responses=responses(reply=ClockReply))
async def put_clock(app_id: str, body: ClockBody, deps: DepsDep) -> dict[str, Any]:
    """Set the app's time (``now_ms``), its distance from the real time (``offset_ms``), or
    move it on (``advance_ms``, parallel moves add up); ``frozen`` stops it there."""
    change = app_clocks.ClockChange(body.now_ms, body.offset_ms, body.advance_ms, body.frozen)
    return _render(await app_clocks.set_clock(deps, app_id, change))


@router.delete("/apps/{app_id}/clock", response_model=None, responses=responses(reply=ClockReply))
async def reset_clock(app_id: str, deps: DepsDep) -> dict[str, Any]:
    """Back to the real time, running."""
    change = app_clocks.ClockChange(offset_ms=0, frozen=False)
    return _render(await app_clocks.set_clock(deps, app_id, change))
