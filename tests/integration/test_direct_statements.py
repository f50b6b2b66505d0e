"""The hot statements SQLite runs straight on the driver (storage/direct.py) read what
SQLAlchemy reads, and fail as SQLAlchemy fails."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import pkgutil
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import chatpins.storage.repositories as repositories
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Member, Message, Pin
from chatpins.core.services import chats, messages, pins
from chatpins.storage import direct, sqlite_inline, tables
from chatpins.storage.database import Database
from chatpins.storage.repositories import chats as chat_rows
from chatpins.storage.repositories import messages as message_rows
from chatpins.storage.repositories import pins as pin_rows
from chatpins.storage.repositories._base import all_from_rows, from_row
from chatpins.storage.sqlite_inline import _PLANS, InlineConnection


def _marked() -> Iterator[tuple[str, Any]]:
    """Every statement marked ``built_once``: the repositories' module constants, and each
    shape of the pin repository's per-shape builders."""
    for info in pkgutil.iter_modules(repositories.__path__):
        module = importlib.import_module(f"{repositories.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, sa.Executable) and value.get_execution_options().get(
                direct.OPTION
            ):
                yield f"{info.name}.{name}", value
    for flags in range(16):
        by = "rank" if flags & 8 else "pinned_at"
        shape = (bool(flags & 4), bool(flags & 2), bool(flags & 1))
        yield f"pins._ordered{(by, *shape)}", pin_rows._ordered(by, *shape)
        if flags < 8:
            yield f"pins._page{shape}", pin_rows._page(*shape)


def _field_types(entity: Any) -> list[tuple[str, type]]:
    return [(f.name, type(getattr(entity, f.name))) for f in dataclasses.fields(entity)]


def _typed(row: Any) -> list[tuple[type, Any]]:
    return [(type(value), value) for value in row]


@pytest.fixture
async def pinned(deps: Deps, bot: Actor, database_url: str) -> dict[str, Any]:
    if not database_url.startswith("sqlite"):
        pytest.skip("the direct path is SQLite's")
    chat = await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32)))
    sent = []
    for text in ("a", "b", "c"):
        new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content=text)
        sent.append((await messages.send_message(deps, bot, chat.id, new)).id)
    made = [await pins.pin_message(deps, bot, message_id) for message_id in sent]
    now = deps.now(bot.app)
    return {
        "p_app": bot.app_id, "p_chat": chat.id, "p_id": sent[0], "p_user": bot.user.id,
        "p_now": now, "p_limit": 2, "p_rank": made[1].rank, "p_start": 0, "p_end": now + 1,
        "p_after_at": now + 1, "p_after_id": made[2].id + 1, "p_hash": "none", "p_at": 0,
        "p_pin": made[0].id, "p_newest": 10,
    }  # fmt: skip


def test_every_marked_statement_runs_directly_on_sqlite() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    refused = []
    for name, statement in _marked():
        compiled = statement.compile(dialect=dialect)
        keys = [b for b in compiled.binds if not b.startswith(("param_", "p_"))]
        if direct.plan_for(statement, dict.fromkeys(keys), dialect, {}) is None:
            refused.append(name)
    assert refused == []


async def test_marked_reads_give_what_sqlalchemy_gives(
    database_url: str, pinned: dict[str, Any]
) -> None:
    db = Database(database_url)
    assert db.sync_engine is not None
    connection = await InlineConnection.begin(db.sync_engine, write=False)
    try:
        compared = 0
        for name, statement in _marked():
            if not isinstance(statement, sa.Select):
                continue
            ours = list(await connection.execute(statement, pinned))
            theirs = list(connection._connection.execute(statement, pinned))
            # Types too: 1 == True, but a flag read back as 1 is a wrong read.
            assert [_typed(r) for r in ours] == [_typed(r) for r in theirs], name
            assert [r._mapping for r in ours] == [dict(r._mapping) for r in theirs], name
            compared += len(theirs)
        assert compared > 20  # the reads found rows, so the comparison compared something
        assert any(plan is not None for _statement, plan in _PLANS.values())
    finally:
        await connection.rollback()
        await connection.close()
        await db.dispose()


async def test_a_refused_direct_write_raises_what_sqlalchemy_raises(
    deps: Deps, bot: Actor, pinned: dict[str, Any]
) -> None:
    async with deps.uow(write=True) as uow:
        (first,) = await uow.pins.by_position(bot.app_id, pinned["p_chat"], now=None, limit=1)
        with pytest.raises(sa.exc.IntegrityError):
            await uow.pins.add(first)  # the same message twice: the unique index refuses


async def test_entities_read_from_direct_rows_equal_those_read_through_sqlalchemy(
    database_url: str, pinned: dict[str, Any]
) -> None:
    """A direct row is built into its entity by a builder made once per row shape; enums and
    nested dataclasses (a chat's pin policy) included, it must build what the mapping does."""
    db = Database(database_url)
    assert db.sync_engine is not None
    connection = await InlineConnection.begin(db.sync_engine, write=False)
    reads = [
        (Chat, chat_rows._GET, {"p_app": pinned["p_app"], "p_id": pinned["p_chat"]}),
        (Message, message_rows._GET, pinned),
        (Member, chat_rows._MEMBER, pinned),  # built positionally, its role an enum
        (Pin, pin_rows._BY_MESSAGE, pinned),
        (Pin, pin_rows._ordered("rank", False, True, False), pinned),
    ]
    try:
        for cls, statement, params in reads:
            ours = [from_row(cls, r) for r in await connection.execute(statement, params)]
            rows = connection._connection.execute(statement, params)
            theirs = [from_row(cls, r) for r in rows]
            assert ours and ours == theirs, cls
            # Types too: a role read back as "owner" equals Role.OWNER, but is a wrong read.
            assert [_field_types(e) for e in ours] == [_field_types(e) for e in theirs], cls
            assert [type(r) for r in ours] == [cls] * len(ours)
            assert all(getattr(r, "_names", None) is None for r in rows)  # the mapping's path
    finally:
        await connection.rollback()
        await connection.close()
        await db.dispose()


async def test_a_writer_waits_for_another_process_holding_the_write_lock(
    deps: Deps, bot: Actor, database_url: str, pinned: dict[str, Any]
) -> None:
    """Units of work begin on the driver: BEGIN IMMEDIATE finding the file locked by another
    connection (the CLI beside a server) yields to the loop and begins once the lock is free;
    the pin it then makes is kept."""
    new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content="d")
    sent = await messages.send_message(deps, bot, pinned["p_chat"], new)
    path = sa.make_url(database_url).database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    pinning = asyncio.create_task(pins.pin_message(deps, bot, sent.id))
    for _ in range(5):  # the task runs up to its first wait for the lock, and waits there
        await asyncio.sleep(0)
    assert not pinning.done()
    other.execute("COMMIT")
    other.close()
    pin = await pinning
    async with deps.uow() as uow:
        assert await uow.pins.get_by_message(bot.app_id, sent.id) == pin


async def test_a_unit_closed_without_its_commit_leaves_no_transaction_in_the_pool(
    database_url: str, pinned: dict[str, Any]
) -> None:
    """The pool does not reset what comes back to it: a unit of work whose commit failed
    ends its transaction itself, so the next one to take the connection can begin."""
    db = Database(database_url)
    assert db.sync_engine is not None
    connection = await InlineConnection.begin(db.sync_engine, write=True)
    driver = connection._dbapi
    await connection.execute(pin_rows._REMOVE, {"p_app": pinned["p_app"], "p_id": 0})
    assert driver.in_transaction
    await connection.close()  # as after a commit that raised
    try:
        assert not driver.in_transaction
    finally:
        await db.dispose()


async def test_a_cancelled_commit_keeps_the_connection_until_the_commit_thread_is_done(
    deps: Deps, bot: Actor, pinned: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request cancelled while its commit runs on the commit thread: the unit of work does
    not give the connection back (nor roll it back) until the thread has finished with it."""
    entered, release = threading.Event(), threading.Event()
    commit = sqlite_inline._commit_retrying

    def held_commit(dbapi: sqlite3.Connection) -> None:
        entered.set()
        release.wait(timeout=30)
        commit(dbapi)

    new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content="e")
    sent = await messages.send_message(deps, bot, pinned["p_chat"], new)
    monkeypatch.setattr(sqlite_inline, "_commit_retrying", held_commit)
    pinning = asyncio.create_task(pins.pin_message(deps, bot, sent.id))
    await asyncio.to_thread(entered.wait, 30)  # the pin's COMMIT is on the commit thread
    pinning.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert not pinning.done()  # still waiting for the thread, the connection still lent
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await pinning
    async with deps.uow() as uow:  # the commit went through; the request was told nothing
        assert await uow.pins.get_by_message(bot.app_id, sent.id) is not None


async def test_a_results_rows_built_together_equal_rows_built_one_by_one(
    deps: Deps, bot: Actor, database_url: str, pinned: dict[str, Any]
) -> None:
    """Rows of one result through SQLAlchemy (an expanding ``IN``: not the direct path) are
    built with one column map; chats, their nested policies and enums included."""
    await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32)))
    db = Database(database_url)
    assert db.sync_engine is not None
    connection = await InlineConnection.begin(db.sync_engine, write=False)
    try:
        query = tables.chats.select().where(tables.chats.c.app_id == bot.app_id)
        rows = connection._connection.execute(query).all()
        assert len(rows) >= 2
        together = all_from_rows(Chat, rows)
        one_by_one = [from_row(Chat, row) for row in rows]
        assert together == one_by_one
        assert [_field_types(c) for c in together] == [_field_types(c) for c in one_by_one]
    finally:
        await connection.rollback()
        await connection.close()
        await db.dispose()
