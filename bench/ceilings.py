"""The ceilings chatpins is compared with, served by the same uvicorn on the same core.

A: a bare Starlette endpoint that parses the same JSON body and answers.
B: A plus one durable insert into SQLite (WAL, ``synchronous`` as chatpins' default, FULL)
   per request, in a thread so the event loop keeps serving: the naive durable design.

Run: ``python -m bench.ceilings a|b PORT [DB_PATH]``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build(kind: str, db_path: str | None) -> Starlette:
    local = threading.local()

    def connection() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(db_path or "ceiling.db", isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS pins (id INTEGER PRIMARY KEY, message_id TEXT, at INT)"
            )
            local.conn = conn
        return conn

    def insert(message_id: str) -> None:
        connection().execute(
            "INSERT INTO pins (message_id, at) VALUES (?, strftime('%s','now'))", (message_id,)
        )

    async def pin(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        message_id = str(body.get("message_id", ""))
        if kind == "b":
            await asyncio.to_thread(insert, message_id)
        return JSONResponse(
            {"code": 0, "msg": "success", "data": {"pin": {"message_id": message_id}}}
        )

    return Starlette(routes=[Route("/open-apis/im/v1/pins", pin, methods=["POST"])])


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    db = sys.argv[3] if len(sys.argv) > 3 else None
    uvicorn.run(build(kind, db), host="127.0.0.1", port=port, log_level="warning", http="h11")
