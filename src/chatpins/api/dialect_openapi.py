"""``GET /openapi/<dialect>.json``: each dialect's served surface as an OpenAPI 3.1 document,
beside the native API's ``/openapi.json``.

The documents are generated from the dialects' route tables (``dialects/openapi.py``), once
per process, on first request. Like ``/openapi.json`` they need no credentials: they describe
the server, they show no data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from chatpins.dialects.shell import DialectApp

router = APIRouter()
NATIVE_URL = "/openapi.json"


def url_of(dialect: str) -> str:
    return f"/openapi/{dialect}.json"


class DialectDocuments:
    """The served dialects' documents, by dialect name, rendered once."""

    def __init__(self, dialects: Iterable[DialectApp]) -> None:
        self._build: dict[str, Callable[[], dict[str, Any]]] = {
            d.name: d.openapi for d in dialects if d.name and d.openapi is not None
        }
        self._rendered: dict[str, bytes] = {}

    def urls(self) -> dict[str, str]:
        """Where each document is, the native one first (``GET /v1/capabilities``)."""
        return {"native": NATIVE_URL, **{name: url_of(name) for name in self._build}}

    async def rendered(self, name: str) -> bytes | None:
        build = self._build.get(name)
        if build is None:
            return None
        if name not in self._rendered:
            # Generating a document takes a tenth of a second: off the event loop.
            document = await run_in_threadpool(build)
            self._rendered[name] = json.dumps(document, ensure_ascii=False).encode()
        return self._rendered[name]


@router.get("/openapi/{dialect}.json", include_in_schema=False)
async def dialect_openapi(dialect: str, request: Request) -> Response:
    documents: DialectDocuments = request.app.state.dialect_openapi
    content = await documents.rendered(dialect)
    if content is None:
        raise HTTPException(404, f"no dialect {dialect!r}: see GET /v1/capabilities")
    return Response(content, media_type="application/json")
