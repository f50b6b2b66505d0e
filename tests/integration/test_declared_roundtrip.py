"""Load → dump → load → dump: any small declared state a file can hold reads back as the same
file, on another database too, and loading the dump where it came from changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatpins.app import build_deps
from chatpins.core.context import Deps
from chatpins.core.services.declared_apply import apply_declared
from chatpins.core.services.declared_read import read_declared
from chatpins.declared.convert import to_core, to_file
from chatpins.declared.files import Format, parse, render
from chatpins.storage.database import Database
from tests.integration.test_declared_state import other_database_url, own_identity  # noqa: F401

USER_IDS = ["alice", "bob", "carol", "dan"]
DIALECTS = ["feishu", "imkit", "zim", "native"]
ROLES = ["owner", "admin", "member"]
# The pins each dialect's chats hold unless a policy says otherwise (None: no cap).
CAPS: dict[str, int | None] = {"feishu": None, "imkit": 1, "zim": 10, "native": None}
LATER = st.integers(2_000_000_000_000, 2_500_000_000_000)  # after any run of this test
ANY_TIME = st.integers(0, 2_500_000_000_000)
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=12,
)


@st.composite
def members_of(draw: st.DrawFn, users: list[str], kind: str) -> list[dict[str, Any]]:
    if kind == "p2p":
        chosen = draw(st.permutations(users))[:2]
        roles = draw(st.sampled_from([["member", "member"], ["owner", "member"]]))
    else:
        chosen = draw(st.lists(st.sampled_from(users), min_size=1, unique=True))
        roles = [draw(st.sampled_from(["admin", "member"])) for _ in chosen]
        if draw(st.booleans()):
            roles[draw(st.integers(0, len(chosen) - 1))] = "owner"
    return [
        {"user": u, **({"role": r} if r != "member" or draw(st.booleans()) else {})}
        for u, r in zip(chosen, roles, strict=True)
    ]


@st.composite
def message(draw: st.DrawFn, message_id: str, users: list[str]) -> dict[str, Any]:
    body = draw(st.sampled_from(["text", "content"]))
    found: dict[str, Any] = {"id": message_id, "sender": draw(st.sampled_from(users))}
    if body == "text":
        found["text"] = draw(TEXT)
    else:
        found["type"] = draw(st.sampled_from(["text", "post", "image"]))
        found["content"] = draw(TEXT)
    if draw(st.booleans()):
        found["created_at_ms"] = draw(ANY_TIME)
    return found


@st.composite
def chat(draw: st.DrawFn, chat_id: str, users: list[str]) -> dict[str, Any]:
    dialect = draw(st.sampled_from(DIALECTS))
    kind = "p2p" if len(users) >= 2 and draw(st.booleans()) else "group"
    found: dict[str, Any] = {"id": chat_id, "dialect": dialect, "type": kind}
    found["name"] = draw(TEXT)
    found["members"] = draw(members_of(users, kind))
    count = draw(st.integers(0, 4))
    found["messages"] = [draw(message(f"{chat_id}-m{i}", users)) for i in range(count)]
    cap = CAPS[dialect] if kind == "group" else (1 if dialect == "imkit" else None)
    if draw(st.booleans()):
        policy: dict[str, Any] = {}
        if draw(st.booleans()):
            cap = draw(st.one_of(st.none(), st.integers(1, 5)))
            policy["max_pins"] = cap
        if draw(st.booleans()):
            policy["overflow"] = draw(st.sampled_from(["reject", "evict_oldest", "evict_last"]))
        if draw(st.booleans()):
            policy["permissions"] = {"pin": draw(st.sampled_from(ROLES))}
        found["pin_policy"] = policy
    pinned = draw(st.permutations([m["id"] for m in found["messages"]]))
    pinned = pinned[: draw(st.integers(0, len(pinned) if cap is None else min(cap, len(pinned))))]
    found["pins"] = [
        {
            "message": message_id,
            "pinned_by": draw(st.sampled_from(users)),
            **({"note": draw(TEXT)} if draw(st.booleans()) else {}),
            **({"expires_at_ms": draw(LATER)} if draw(st.booleans()) else {}),
            **({"pinned_at_ms": draw(ANY_TIME)} if draw(st.booleans()) else {}),
            **({"must_read": True} if draw(st.booleans()) else {}),
        }
        for message_id in pinned
    ]
    return found


@st.composite
def declared_app(draw: st.DrawFn) -> dict[str, Any]:
    """An app's contents (its id and credentials are the test's to give)."""
    users = draw(st.lists(st.sampled_from(USER_IDS), min_size=1, max_size=4, unique=True))
    chats = [draw(chat(f"c{i}", users)) for i in range(draw(st.integers(0, 3)))]
    declared_users = []
    for user_id in users:
        user: dict[str, Any] = {"id": user_id, "name": draw(TEXT)}
        if draw(st.booleans()):
            user["is_bot"] = True
        mine = [c["id"] for c in chats if any(m["user"] == user_id for m in c["members"])]
        pinned = draw(st.permutations(mine))[: draw(st.integers(0, len(mine)))]
        if pinned:
            user["conversation_pins"] = [
                {"chat": c, **({"expires_at_ms": draw(LATER)} if draw(st.booleans()) else {})}
                for c in pinned
            ]
        declared_users.append(user)
    found: dict[str, Any] = {"name": draw(TEXT.filter(bool)), "users": declared_users}
    found["chats"] = chats
    if draw(st.booleans()):
        found["settings"] = {
            "conversation_pin_cap": draw(st.integers(3, 200)),
            "message_rate_per_second": draw(st.integers(0, 10)),
            "native_pin_policy": {"max_pins": draw(st.one_of(st.none(), st.integers(5, 9)))},
        }
    return found


async def _dump(deps: Deps, app_id: str, fmt: Format) -> str:
    return render(to_file(await read_declared(deps, app_id)), fmt)


async def _round_trip(first_url: str, second_url: str, app: dict[str, Any], fmt: Format) -> None:
    first_db, second_db = Database(first_url), Database(second_url)
    try:
        here, there = build_deps(first_db), build_deps(second_db)
        text = render(parse_dict({"apps": [app]}), fmt)
        await apply_declared(here, to_core(parse(text, fmt)))
        dumped = await _dump(here, app["id"], fmt)

        await apply_declared(there, to_core(parse(dumped, fmt)))
        assert await _dump(there, app["id"], fmt) == dumped
        again = await apply_declared(here, to_core(parse(dumped, fmt)))
        assert again[0].changes == {}
        assert await _dump(here, app["id"], fmt) == dumped
    finally:
        await first_db.dispose()
        await second_db.dispose()


def parse_dict(data: dict[str, Any]) -> Any:
    from chatpins.declared.schema import DeclaredFile

    return DeclaredFile.model_validate(data, strict=True)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(contents=declared_app(), fmt=st.sampled_from(["yaml", "json"]))
def test_load_dump_load_dump_reads_back_the_same(
    database_url: str,
    other_database_url: str,  # noqa: F811 (the fixture)
    contents: dict[str, Any],
    fmt: Format,
) -> None:
    asyncio.run(_round_trip(database_url, other_database_url, {**own_identity(), **contents}, fmt))
