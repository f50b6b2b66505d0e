"""Test controls over HTTP (admin key): empty an app between tests, and fault rules that make
an app's next requests fail or wait, so a test suite can try its client's error paths
(docs/testing.md). Refused (403 ``test_controls_disabled``) where test controls are off: the
default in production mode."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, model_validator

from chatpins.api.bodies import Strict
from chatpins.api.errors import responses
from chatpins.api.provisioning import DepsDep, require_admin
from chatpins.core.errors import PermissionDenied, Reason
from chatpins.core.faults import MAX_DELAY_MS, Fault, FaultRule
from chatpins.core.services import app_reset, apps


async def require_test_controls(request: Request) -> None:
    if not request.app.state.settings.test_controls_enabled:
        raise PermissionDenied(
            Reason.TEST_CONTROLS_DISABLED,
            "test controls are off (production mode); CHATPINS_TEST_CONTROLS=true turns them on",
        )


router = APIRouter(
    prefix="/v1/apps/{app_id}",
    # The admin key first: without it, nothing tells whether test controls are on.
    dependencies=[Depends(require_admin), Depends(require_test_controls)],
    tags=["test controls"],
    responses=responses(400, 401, 403, 404, 413),
)

MAX_TIMES = 1_000_000
MAX_CODE = 2**31 - 1  # every vendor's codes fit (ZIM's are nine digits)
# A request as rules name it: "METHOD /path" with wildcards (HTTP dialects), or a ZIM Action.
_REQUEST_LINE = re.compile(r"[A-Za-z*?]+ /\S*")
_ACTION = re.compile(r"[A-Za-z0-9*?]+")
Dialect = Literal["feishu", "imkit", "zim", "native"]


class FaultCreate(Strict):
    dialect: Dialect
    match: str = Field(min_length=1, max_length=512)
    times: int = Field(default=1, ge=1, le=MAX_TIMES)
    code: int | None = Field(default=None, ge=1, le=MAX_CODE)
    http_status: int | None = Field(default=None, ge=200, le=599)
    delay_ms: int | None = Field(default=None, ge=0, le=MAX_DELAY_MS)

    @model_validator(mode="after")
    def _fits_dialect(self) -> FaultCreate:
        """What each dialect's error envelope can say: Feishu's and ZIM's errors carry a
        numeric code (ZIM always on HTTP 200); IMKit's and the native API's are named by
        their HTTP status."""
        if self.code is None and self.http_status is None and not self.delay_ms:
            raise ValueError("give code, http_status or delay_ms")
        if self.dialect == "zim":
            if not _ACTION.fullmatch(self.match):
                raise ValueError("a ZIM rule matches an Action name, e.g. ConvPinned")
            if self.http_status is not None:
                raise ValueError("ZIM answers every request with HTTP 200: give code")
        elif not _REQUEST_LINE.fullmatch(self.match):
            raise ValueError('match is "METHOD /path", * for any run of characters')
        if self.dialect in ("imkit", "native") and self.code is not None:
            raise ValueError(f"{self.dialect} errors are named by their HTTP status: give it")
        return self


class FaultReply(BaseModel):
    id: str
    dialect: str
    match: str
    times: int
    remaining: int
    code: int | None
    http_status: int | None
    delay_ms: int


class FaultList(BaseModel):
    faults: list[FaultReply]


class ResetReply(BaseModel):
    app_id: str
    removed: dict[str, int] = Field(description="Rows deleted, per table")
    fault_rules: int = Field(description="Fault rules of the app that were cleared")


def render_rule(rule: FaultRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "dialect": rule.dialect,
        "match": rule.match,
        "times": rule.times,
        "remaining": rule.remaining,
        "code": rule.fault.code,
        "http_status": rule.fault.http_status,
        "delay_ms": rule.fault.delay_ms,
    }


@router.post("/reset", response_model=None, responses=responses(reply=ResetReply))
async def reset_app(app_id: str, deps: DepsDep) -> dict[str, Any]:
    """Empty the app: every user, token, chat, message, pin, event and webhook goes in one
    transaction, and its fault rules and rate-limit windows in this process. The app stays
    with every credential and setting, its bot, and the bot's tokens; event ``seq`` keeps
    growing."""
    app = await apps.get_app(deps, app_id)
    outcome = await app_reset.reset_app(deps, app.id)
    return {
        "app_id": outcome.app_id,
        "removed": outcome.removed,
        "fault_rules": outcome.fault_rules,
    }


@router.post(
    "/faults",
    status_code=201,
    response_model=None,
    responses=responses(422, reply=FaultReply, status=201),
)
async def add_fault(app_id: str, body: FaultCreate, deps: DepsDep) -> dict[str, Any]:
    """A rule for the app's next ``times`` requests that match: wait ``delay_ms``, then run,
    or be refused with ``code`` / ``http_status`` in the dialect's own error envelope. Kept in
    this server process's memory."""
    app = await apps.get_app(deps, app_id)
    fault = Fault(body.code, body.http_status, body.delay_ms or 0)
    return render_rule(deps.faults.add(app.id, body.dialect, body.match, fault, body.times))


@router.get("/faults", response_model=None, responses=responses(reply=FaultList))
async def list_faults(app_id: str, deps: DepsDep) -> dict[str, Any]:
    """The app's live rules, oldest (the first to fire) first, with what is ``remaining``."""
    app = await apps.get_app(deps, app_id)
    return {"faults": [render_rule(rule) for rule in deps.faults.of_app(app.id)]}


@router.delete("/faults", status_code=204)
async def clear_faults(app_id: str, deps: DepsDep) -> Response:
    app = await apps.get_app(deps, app_id)
    deps.faults.clear(app.id)
    return Response(status_code=204)
