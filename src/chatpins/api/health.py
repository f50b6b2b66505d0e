"""Liveness and readiness, for a load balancer or an orchestrator.

- ``GET /livez``: the process runs and its event loop answers. Nothing else is checked, so a
  database outage never gets healthy instances restarted.
- ``GET /readyz``: whether this instance should get traffic. The database answers and its
  schema is the one this version expects (a newer version's migration makes older instances
  unready), and Redis, when configured, answers. Without Redis an instance still serves —
  limits counted in process, events found by polling — so that is ``degraded`` with 200,
  while a database or schema problem is ``unavailable`` with 503.

``GET /v1/health`` stays as the liveness answer older setups probe.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse

from chatpins.storage.database import Database
from chatpins.storage.migrate import head_revision, revision_of

# A probe answers within this long whatever hangs: a load balancer's own timeout is typically
# a few seconds, and an answer beats a dropped probe.
CHECK_TIMEOUT_SECONDS = 2.0


class RedisProbe(Protocol):
    async def probe(self) -> bool: ...


async def livez(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


class Readiness:
    def __init__(self, db: Database, redis: RedisProbe | None) -> None:
        self._db = db
        self._redis = redis
        self._head = head_revision()

    async def readyz(self, _request: Request) -> JSONResponse:
        checks = {"database": "ok", "schema": "ok", "redis": "not_configured"}
        revision = await self._schema_revision()
        if revision is None:
            checks["database"] = "unreachable"
            checks["schema"] = "unknown"
        elif revision != self._head:
            checks["schema"] = "out_of_date"
        if self._redis is not None:
            checks["redis"] = "ok" if await self._redis_answers() else "unreachable"
        if checks["database"] != "ok" or checks["schema"] != "ok":
            status, code = "unavailable", 503
        elif checks["redis"] == "unreachable":
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return JSONResponse({"status": status, "checks": checks}, status_code=code)

    async def _schema_revision(self) -> str | None:
        """The database's schema revision ("" when it has none), None when it does not answer."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                revision = await revision_of(self._db.engine)
        except Exception:  # unreachable, refused, timed out: all mean "not ready"
            return None
        return revision or ""

    async def _redis_answers(self) -> bool:
        assert self._redis is not None
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                return await self._redis.probe()
        except TimeoutError:
            return False
