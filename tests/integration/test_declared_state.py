"""Declared state on real databases: applied idempotently, all or nothing, changed to what a
file declares, and read back (dumped) to a file that loads to the same state."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chatpins.app import build_deps
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatKind, Overflow, Permission, PinRights, Role
from chatpins.core.identity import hash_secret
from chatpins.core.services import apps, chats, conversations, direct_messages, messages, pins
from chatpins.core.services.conversations import ConversationRef
from chatpins.core.services.declared_apply import AppliedApp, apply_declared
from chatpins.core.services.declared_read import read_declared
from chatpins.core.services.declared_state import DeclarationRefused
from chatpins.declared.convert import to_core, to_file
from chatpins.declared.files import parse, render
from chatpins.storage import migrate
from chatpins.storage.database import Database
from chatpins.storage.tables import events, pin_history, users
from chatpins.storage.tables import messages as message_rows
from tests.databases import fresh_database
from tests.integration.conftest import POSTGRES_URL, as_user


@pytest.fixture(scope="module")
def other_database_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A second database of the same backend: where a dump is loaded again."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('other') / 'other.db'}"
        migrate.upgrade(url)
        yield url
        return
    assert POSTGRES_URL is not None
    with fresh_database(POSTGRES_URL, "chatpins_declared") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
async def other_deps(other_database_url: str) -> AsyncIterator[Deps]:
    db = Database(other_database_url)
    yield build_deps(db)
    await db.dispose()


def own_identity() -> dict[str, Any]:
    """An app id and credentials no other test uses."""
    tag = secrets.token_hex(8)
    return {
        "id": f"app_{tag}",
        "feishu": {"app_id": f"cli_{tag}", "app_secret": f"secret-{tag}"},
        "imkit": {"client_key": f"client-{tag}", "api_key": f"imkit-{tag}"},
        "zim": {"app_id": 1 + secrets.randbelow(2**32 - 1), "server_secret": tag * 2},
        "native": {"api_key": f"cpk_{tag}"},
    }


def new_app(**overrides: Any) -> dict[str, Any]:
    """A declared app of its own: two users, a Feishu chat with messages and two pins."""
    identity = own_identity()
    bot = identity["feishu"]["app_id"]
    app: dict[str, Any] = {
        **identity,
        "name": "fixtures",
        "users": [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}],
        "chats": [
            {
                "id": "team",
                "dialect": "feishu",
                "name": "Team",
                "members": [
                    {"user": "alice", "role": "owner"},
                    {"user": "bob"},
                    {"user": bot},
                ],
                "messages": [
                    {"id": "m1", "sender": "alice", "text": "one"},
                    {"id": "m2", "sender": "bob", "text": "two"},
                    {"id": "m3", "sender": "bob", "text": "three"},
                ],
                "pins": [
                    {"message": "m2", "pinned_by": "bob", "note": "first"},
                    {"message": "m1", "pinned_by": "alice"},
                ],
            }
        ],
    }
    app.update(overrides)
    return app


def as_file(*declared_apps: dict[str, Any]) -> dict[str, Any]:
    return {"apps": list(declared_apps)}


async def load(deps: Deps, data: dict[str, Any]) -> list[AppliedApp]:
    return await apply_declared(deps, to_core(parse(json.dumps(data), "json")))


async def dump(deps: Deps, app_id: str) -> str:
    return render(to_file(await read_declared(deps, app_id)), "yaml")


async def count(deps: Deps, table: sa.Table, app_id: str) -> int:
    async with deps.uow() as uow:
        query = sa.select(sa.func.count()).select_from(table).where(table.c.app_id == app_id)
        return int((await uow._conn.execute(query)).scalar_one())  # type: ignore[attr-defined]


async def head(deps: Deps, app_id: str) -> int:
    async with deps.uow() as uow:
        return await uow.events.head(app_id)


async def pin_order(deps: Deps, app_id: str, chat_id: str) -> list[str]:
    async with deps.uow() as uow:
        pinned = await uow.pins.by_position(app_id, chat_id, now=deps.clock.now_ms())
    return [p.message_id for p in pinned]


async def test_first_load_writes_history_and_events_second_load_writes_nothing(
    deps: Deps,
) -> None:
    app = new_app()
    first = await load(deps, as_file(app))
    assert first[0].created and first[0].changes["pin.added"] == 2
    written = await head(deps, app["id"])
    assert written > 0
    assert await count(deps, pin_history, app["id"]) == 2
    assert await pin_order(deps, app["id"], "team") == ["m2", "m1"]

    again = await load(deps, as_file(app))

    assert not again[0].created and again[0].changes == {}
    assert await head(deps, app["id"]) == written
    assert await count(deps, pin_history, app["id"]) == 2


async def test_declared_credentials_are_the_apps(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    stored = await apps.get_app(deps, app["feishu"]["app_id"])
    assert stored.id == app["id"]
    assert stored.feishu_secret_hash == hash_secret(app["feishu"]["app_secret"])
    assert stored.imkit_client_key == app["imkit"]["client_key"]
    assert stored.imkit_api_key_hash == hash_secret(app["imkit"]["api_key"])
    assert stored.zim_app_id == app["zim"]["app_id"]
    assert stored.zim_server_secret == app["zim"]["server_secret"]
    assert (await apps.authenticate_api_key(deps, app["native"]["api_key"]))[0].id == app["id"]


async def test_a_new_app_without_secrets_gets_generated_ones_reported_once(deps: Deps) -> None:
    app = new_app()
    for dialect in ("feishu", "imkit", "native"):
        app[dialect] = {
            k: v for k, v in app[dialect].items() if "key" not in k or k == "client_key"
        }
    del app["feishu"]["app_secret"]
    first = await load(deps, as_file(app))
    generated = first[0].generated
    assert set(generated) == {"feishu.app_secret", "imkit.api_key", "native.api_key"}
    stored = await apps.get_app(deps, app["id"])
    assert stored.feishu_secret_hash == hash_secret(generated["feishu.app_secret"])

    again = await load(deps, as_file(app))
    assert again[0].generated == {} and again[0].changes == {}
    assert (await apps.get_app(deps, app["id"])).feishu_secret_hash == stored.feishu_secret_hash


async def test_a_changed_file_changes_the_state_to_it(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    before = await head(deps, app["id"])
    app["users"][1]["name"] = "Robert"
    chat = app["chats"][0]
    chat["name"] = "Renamed"
    chat["members"][1]["role"] = "admin"
    chat["messages"][0]["text"] = "one, edited"
    chat["pins"] = [
        {"message": "m1", "pinned_by": "alice", "note": "now first"},
        {"message": "m3", "pinned_by": "bob"},
    ]

    changed = (await load(deps, as_file(app)))[0].changes

    assert changed == {
        "user.updated": 1,
        "chat.updated": 1,
        "member.role_changed": 1,
        "message.updated": 1,
        "pin.removed": 1,
        "pin.edited": 1,
        "pin.added": 1,
    }
    assert await pin_order(deps, app["id"], "team") == ["m1", "m3"]
    async with deps.uow() as uow:
        member = await uow.members.get(app["id"], "team", "bob")
        pin = await uow.pins.get_by_message(app["id"], "m1")
        kinds = [e.type for e in await uow.events.after(app["id"], before, 100)]
    assert member is not None and member.role is Role.ADMIN
    assert pin is not None and pin.note == "now first"
    assert "chat.updated" in kinds and "chat.admins_changed" in kinds
    assert "pin.deleted" in kinds and "pin.updated" in kinds and "message.edited" in kinds
    assert (await load(deps, as_file(app)))[0].changes == {}


async def test_reordering_declared_pins_moves_them_without_repinning(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    async with deps.uow() as uow:
        ids_before = {
            p.message_id: p.id for p in await uow.pins.by_position(app["id"], "team", now=None)
        }
    app["chats"][0]["pins"].reverse()

    changed = (await load(deps, as_file(app)))[0].changes

    assert changed == {"pin.moved": 1}
    assert await pin_order(deps, app["id"], "team") == ["m1", "m2"]
    async with deps.uow() as uow:
        ids_after = {
            p.message_id: p.id for p in await uow.pins.by_position(app["id"], "team", now=None)
        }
    assert ids_after == ids_before


async def test_members_left_out_are_removed(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    app["chats"][0]["members"] = [m for m in app["chats"][0]["members"] if m["user"] != "bob"]
    app["chats"][0]["pins"] = []

    changed = (await load(deps, as_file(app)))[0].changes

    assert changed["member.removed"] == 1 and changed["pin.removed"] == 2
    async with deps.uow() as uow:
        assert await uow.members.get(app["id"], "team", "bob") is None
        assert await uow.users.get(app["id"], "bob") is not None  # users stay


async def test_a_refused_last_pin_leaves_nothing_written(deps: Deps) -> None:
    app = new_app()
    app["chats"].append(
        {
            "id": "capped",
            "dialect": "native",
            "pin_policy": {"max_pins": 2, "overflow": "reject"},
            "members": [{"user": "alice", "role": "owner"}],
            "messages": [{"id": f"c{i}", "sender": "alice", "text": str(i)} for i in range(3)],
            "pins": [{"message": f"c{i}", "pinned_by": "alice"} for i in range(3)],
        }
    )

    with pytest.raises(DeclarationRefused) as refused:
        await load(deps, as_file(app))

    assert str(refused.value) == (
        "apps[0].chats[1].pins[2]: chat 'capped' holds at most 2 pins (its pin policy's max_pins)"
    )
    async with deps.uow() as uow:
        assert await uow.apps.get(app["id"]) is None
    for table in (users, message_rows, events, pin_history):
        assert await count(deps, table, app["id"]) == 0


async def test_a_refusal_on_an_existing_app_keeps_it_as_it_was(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    before = await dump(deps, app["id"])
    written = await head(deps, app["id"])
    app["users"][0]["name"] = "Alicia"
    app["chats"][0]["pins"].append({"message": "m9", "pinned_by": "alice"})

    with pytest.raises(DeclarationRefused) as refused:
        await load(deps, as_file(app))

    assert str(refused.value) == "apps[0].chats[0].pins[2].message: unknown message 'm9'"
    assert await dump(deps, app["id"]) == before
    assert await head(deps, app["id"]) == written


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            lambda a: a["chats"][0]["members"].append({"user": "zed"}),
            "apps[0].chats[0].members[3].user",
            "unknown user 'zed'",
        ),
        (
            lambda a: a["chats"][0]["messages"].append({"id": "m4", "sender": "zed", "text": "x"}),
            "apps[0].chats[0].messages[3].sender",
            "unknown user 'zed'",
        ),
        (
            lambda a: a["users"][0].update(conversation_pins=[{"chat": "nowhere"}]),
            "apps[0].users[0].conversation_pins[0].chat",
            "unknown chat 'nowhere'",
        ),
        (
            lambda a: a["chats"][0]["pins"].append(
                {"message": "m3", "pinned_by": "bob", "expires_at_ms": 1}
            ),
            "apps[0].chats[0].pins[2].expires_at",
            "expires_at_ms is not in the future",
        ),
    ],
)
async def test_refusals_name_the_field(deps: Deps, change: Any, path: str, message: str) -> None:
    app = new_app()
    change(app)
    with pytest.raises(DeclarationRefused) as refused:
        await load(deps, as_file(app))
    assert str(refused.value) == f"{path}: {message}"
    async with deps.uow() as uow:
        assert await uow.apps.get(app["id"]) is None


async def test_credentials_of_another_app_are_refused(deps: Deps) -> None:
    other = await apps.create_app(deps, "other")
    app = new_app()
    app["zim"]["app_id"] = other.app.zim_app_id
    with pytest.raises(DeclarationRefused) as refused:
        await load(deps, as_file(app))
    assert (
        str(refused.value) == f"apps[0].zim.app_id: this ZIM AppId belongs to app '{other.app.id}'"
    )


async def test_a_chats_type_or_dialect_cannot_change(deps: Deps) -> None:
    app = new_app()
    await load(deps, as_file(app))
    app["chats"][0]["dialect"] = "imkit"
    app["chats"][0]["pins"] = app["chats"][0]["pins"][:1]
    with pytest.raises(DeclarationRefused) as refused:
        await load(deps, as_file(app))
    assert str(refused.value) == (
        "apps[0].chats[0].dialect: chat 'team' exists as a feishu chat; its dialect cannot change"
    )


async def test_conversation_pins_follow_the_declared_order(deps: Deps) -> None:
    app = new_app()
    app["chats"].append(
        {
            "id": "room",
            "dialect": "zim",
            "members": [{"user": "alice", "role": "owner"}, {"user": "bob"}],
        }
    )
    app["users"][0]["conversation_pins"] = [{"chat": "room"}, {"chat": "team"}]
    await load(deps, as_file(app))
    async with deps.uow() as uow:
        pinned = await uow.conversation_pins.list_for_user(app["id"], "alice", deps.clock.now_ms())
    assert [p.chat_id for p in pinned] == ["room", "team"]

    app["users"][0]["conversation_pins"] = [{"chat": "team"}]
    changed = (await load(deps, as_file(app)))[0].changes
    assert changed == {"conversation_pin.removed": 1}
    assert (await load(deps, as_file(app)))[0].changes == {}


async def test_dump_then_load_elsewhere_reads_back_the_same(deps: Deps, other_deps: Deps) -> None:
    app = new_app()
    app["chats"][0]["pins"][0]["expires_at_ms"] = 253_402_300_799_000
    await load(deps, as_file(app))
    first = await dump(deps, app["id"])

    await apply_declared(other_deps, to_core(parse(first, "yaml")))

    assert await dump(other_deps, app["id"]) == first
    assert (await apply_declared(deps, to_core(parse(first, "yaml"))))[0].changes == {}


async def test_an_app_made_through_the_use_cases_dumps_to_a_file_that_makes_it_again(
    deps: Deps, other_deps: Deps, bot: Actor
) -> None:
    alice = await as_user(deps, bot, "alice")
    bob = await as_user(deps, bot, "bob")
    team = await chats.create_chat(
        deps, bot, chats.NewChat(id="oc_team", name="Team", owner_id="alice", member_ids=["bob"])
    )
    room = await chats.create_chat(
        deps,
        dataclasses.replace(bot, dialect="imkit", requires_app_bot=False),
        chats.NewChat(
            id="room",
            member_ids=["alice"],
            pin_rights=PinRights.every(Role.ADMIN),
            edit_permission=Permission.OWNER_ADMINS,
            max_pins=1,
            overflow=Overflow.EVICT_OLDEST,
            attributes={"cover": "x.png"},
        ),
    )
    sent = [
        await messages.send_message(
            deps,
            alice,
            team.id,
            messages.NewMessage(f"om_{i}", "text", '{"text":"hi"}', chat_rate_limited=False),
        )
        for i in range(3)
    ]
    await messages.send_message(deps, bot, room.id, messages.NewMessage("r1", "post", "{}"))
    await pins.pin_message(deps, alice, sent[0].id)
    await pins.pin_message(deps, bob, sent[1].id)
    await messages.recall_message(deps, alice, sent[2].id)
    zim_alice = dataclasses.replace(alice, dialect="zim", requires_app_bot=False)
    await direct_messages.send_to_user(
        deps, zim_alice, "bob", messages.NewMessage("dm_1", "text", '{"text":"psst"}')
    )
    await conversations.set_pinned(deps, alice, [ConversationRef(ChatKind.GROUP, "oc_team")], True)

    first = await dump(deps, bot.app_id)
    assert "om_2" not in first  # recalled: a file cannot make it
    await apply_declared(other_deps, to_core(parse(first, "yaml")))

    assert await dump(other_deps, bot.app_id) == first
    assert (await apply_declared(deps, to_core(parse(first, "yaml"))))[0].changes == {}
    assert await pin_order(other_deps, bot.app_id, "oc_team") == ["om_1", "om_0"]


def documented_example() -> str:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text()
    section = doc[doc.index("## Declared state") :]
    start = section.index("```yaml\n") + len("```yaml\n")
    return section[start : section.index("```\n", start)]


async def test_the_documented_example_loads(deps: Deps) -> None:
    state = to_core(parse(documented_example(), "yaml"))
    first = await apply_declared(deps, state)
    assert first[0].created and first[0].changes["pin.added"] == 4
    assert (await apply_declared(deps, state))[0].changes == {}
