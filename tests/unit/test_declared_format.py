"""The declared-state file format: its shipped JSON Schema, what it refuses (each refusal naming
the path of the bad field) and how a chat's rules follow the dialect that made it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from chatpins.api.native.chats import NATIVE_RIGHTS
from chatpins.core import ranks
from chatpins.core.entities import ChatKind, Overflow, Permission, PinRights, Role
from chatpins.core.services import declared_state as core
from chatpins.core.services.declared_pins import positions
from chatpins.declared import SCHEMA_PATH
from chatpins.declared.convert import default_rules, to_core, to_file
from chatpins.declared.files import DeclaredFileError, parse, render
from chatpins.declared.schema import Settings, schema_text
from chatpins.dialects.feishu.render import PIN_RIGHTS as FEISHU_PIN_RIGHTS
from chatpins.dialects.zim.groups import ZIM_MAX_PINS

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """\
apps:
  - id: app_one
    name: One
    users: [{id: alice}, {id: bob}]
    chats:
      - id: team
        dialect: feishu
        members: [{user: alice, role: owner}, {user: bob}]
        messages:
          - {id: m1, sender: alice, text: hello}
          - {id: m2, sender: bob, text: hi}
        pins: [{message: m1, pinned_by: alice}]
"""


def problems(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(DeclaredFileError) as refused:
        parse(text, fmt)  # type: ignore[arg-type]
    return refused.value.problems


def refusal(text: str) -> str:
    with pytest.raises(core.DeclarationRefused) as refused:
        core.check_shape(to_core(parse(text, "yaml")))
    return str(refused.value)


# --------------------------------------------------------------------------- the schema


def test_shipped_schema_is_what_the_models_generate() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "run `python -m chatpins.declared` after changing chatpins/declared/schema.py"
    )


def test_the_schema_ships_in_the_package() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["chatpins"]
    relative = SCHEMA_PATH.relative_to(REPO / "src" / "chatpins").as_posix()
    assert any(Path(relative).match(pattern) for pattern in shipped)


def test_the_documented_example_is_valid() -> None:
    doc = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Declared state") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    declared = parse(example.group(1), "yaml")
    core.check_shape(to_core(declared))
    validator = pytest.importorskip("jsonschema_rs")
    import yaml

    validator.validate(json.loads(SCHEMA_PATH.read_text()), yaml.safe_load(example.group(1)))


def test_settings_left_out_are_a_new_apps() -> None:
    assert Settings().model_dump() == core.default_settings()


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL.replace("{id: m2, sender: bob, text: hi}", "{id: m2, sendr: bob, text: hi}"),
            [
                "apps[0].chats[0].messages[1].sender: required",
                "apps[0].chats[0].messages[1].sendr: unknown key",
            ],
        ),
        (
            MINIMAL.replace("pinned_by: alice}", "pinned_by: 7}"),
            ["apps[0].chats[0].pins[0].pinned_by: Input should be a valid string"],
        ),
        (
            MINIMAL.replace("text: hello", "text: hello, content: x"),
            ["apps[0].chats[0].messages[0]: give text or content (one of them)"],
        ),
        (
            MINIMAL.replace("dialect: feishu", "dialect: slack"),
            [
                "apps[0].chats[0].dialect: Input should be 'feishu', 'imkit', 'zim' or 'native'",
            ],
        ),
        (
            MINIMAL.replace("    name: One\n", "    name: One\n    zim: {app_id: '42'}\n"),
            ["apps[0].zim.app_id: Input should be a valid integer"],
        ),
        (
            MINIMAL.replace("    name: One\n", "    name: One\n    feishu: {app_id: app_x}\n"),
            ["apps[0].feishu.app_id: String should match pattern '^cli_[0-9a-f]{16}$'"],
        ),
        (
            MINIMAL.replace(
                "    name: One\n",
                "    name: One\n    native: {api_key: k, api_key_sha256: '" + "0" * 64 + "'}\n",
            ),
            ["apps[0].native: give api_key or api_key_sha256, not both"],
        ),
        (
            MINIMAL.replace("{user: bob}", "{user: bob, role: guest}"),
            ["apps[0].chats[0].members[1].role: Input should be 'owner', 'admin' or 'member'"],
        ),
        ("apps: []\n", ["apps: List should have at least 1 item after validation, not 0"]),
        ("version: 2\n" + MINIMAL, ["version: Input should be 1"]),
    ],
)
def test_a_bad_field_is_named_by_its_path(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_syntax_errors_name_the_line_and_column() -> None:
    assert problems("apps:\n  - id: a\n   name: b\n") == [
        "line 3, column 4: expected <block end>, but found '<block mapping start>'"
    ]
    assert problems('{"apps": [}', "json") == ["line 1, column 11: Expecting value"]


def test_a_key_given_twice_is_refused() -> None:
    text = MINIMAL.replace("    name: One\n", "    name: One\n    name: Two\n")
    assert problems(text) == ["line 4, column 5: key 'name' given twice"]


def test_text_no_database_can_store_is_refused() -> None:
    text = json.dumps({"apps": [{"id": "a", "name": "x", "users": [{"id": "u", "name": "\x00"}]}]})
    assert problems(text, "json") == [
        "apps[0].users[0].name: text holds a character no database can store "
        "(NUL, a lone surrogate)"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("{id: bob}", "{id: alice}"),
            "apps[0].users[1].id: duplicate user id 'alice'",
        ),
        (
            ("{user: bob}", "{user: bob, role: owner}"),
            "apps[0].chats[0].members[1].role: a chat has one owner",
        ),
        (
            (
                "pins: [{message: m1, pinned_by: alice}]",
                "pins: [{message: m1, pinned_by: alice}, {message: m1, pinned_by: bob}]",
            ),
            "apps[0].chats[0].pins[1].message: duplicate pin of message 'm1'",
        ),
    ],
)
def test_shape_refusals_name_the_path(change: tuple[str, str], expected: str) -> None:
    assert refusal(MINIMAL.replace(*change)) == expected


def test_a_p2p_chat_has_two_members() -> None:
    text = MINIMAL.replace("dialect: feishu", "dialect: zim\n        type: p2p").replace(
        "{user: bob}", "{user: bob}, {user: carol}"
    )
    assert refusal(text) == "apps[0].chats[0].members: a p2p chat has exactly two members"


def test_a_message_id_belongs_to_one_chat() -> None:
    text = MINIMAL + (
        "      - id: other\n"
        "        dialect: native\n"
        "        messages: [{id: m1, sender: bob, text: again}]\n"
    )
    assert (
        refusal(text)
        == "apps[0].chats[1].messages[0].id: message id 'm1' also declared in chats[0]"
    )


def test_two_apps_cannot_share_a_credential() -> None:
    app = "  - {id: %s, name: x, zim: {app_id: 5}}\n"
    assert refusal("apps:\n" + app % "a" + app % "b") == (
        "apps[1].zim.app_id: ZIM AppId also declared by apps[0]"
    )


# --------------------------------------------------------------------------- chat rules


def test_a_chat_starts_with_its_dialects_rules() -> None:
    feishu = default_rules("feishu", ChatKind.GROUP, None)
    assert feishu.pin_rights == FEISHU_PIN_RIGHTS["all_members"] and feishu.max_pins is None
    assert feishu.transfer_role is Role.ADMIN
    imkit = default_rules("imkit", ChatKind.GROUP, None)
    assert (imkit.pin_rights, imkit.max_pins, imkit.overflow) == (
        PinRights.every(Role.ADMIN),
        1,
        Overflow.EVICT_OLDEST,
    )
    assert imkit.edit_permission is Permission.OWNER_ADMINS
    zim = default_rules("zim", ChatKind.GROUP, None)
    assert (zim.max_pins, zim.overflow) == (ZIM_MAX_PINS, Overflow.EVICT_OLDEST)
    native = default_rules("native", ChatKind.GROUP, None)
    assert (native.pin_rights, native.max_pins) == (NATIVE_RIGHTS, None)
    assert default_rules("native", ChatKind.GROUP, {"max_pins": 3}).max_pins == 3


def test_a_pin_policy_overrides_only_the_keys_it_gives() -> None:
    text = MINIMAL.replace(
        "dialect: feishu",
        "dialect: imkit\n        pin_policy: {max_pins: null, permissions: {pin: member}}",
    )
    rules = to_core(parse(text, "yaml")).apps[0].chats[0].rules
    assert rules.max_pins is None and rules.overflow is Overflow.EVICT_OLDEST
    assert rules.pin_rights.pin is Role.MEMBER and rules.pin_rights.reorder is Role.ADMIN


# --------------------------------------------------------------------------- dumps


def test_a_dump_writes_what_differs_from_the_defaults() -> None:
    declared = to_core(parse(MINIMAL, "yaml")).apps[0]
    app = core.DeclaredApp(
        id=declared.id,
        name=declared.name,
        feishu=core.FeishuCredentials("cli_0123456789abcdef", core.Secret(sha256="a" * 64)),
        users=declared.users,
        chats=declared.chats,
    )
    data: dict[str, Any] = json.loads(render(to_file(app), "json"))
    chat = data["apps"][0]["chats"][0]
    assert data["apps"][0]["feishu"] == {
        "app_id": "cli_0123456789abcdef",
        "app_secret_sha256": "a" * 64,
    }
    assert "settings" not in data["apps"][0]
    assert chat == {
        "id": "team",
        "dialect": "feishu",
        "members": [{"user": "alice", "role": "owner"}, {"user": "bob"}],
        "messages": [
            {"id": "m1", "sender": "alice", "text": "hello"},
            {"id": "m2", "sender": "bob", "text": "hi"},
        ],
        "pins": [{"message": "m1", "pinned_by": "alice"}],
    }
    assert parse(render(to_file(app), "yaml"), "yaml") == parse(
        render(to_file(app), "json"), "json"
    )


def test_text_is_stored_as_every_dialect_stores_it() -> None:
    message = to_core(parse(MINIMAL, "yaml")).apps[0].chats[0].messages[0]
    assert json.loads(message.content) == {"text": "hello"}


# --------------------------------------------------------------------------- positions


def test_positions_keep_the_keys_already_in_order() -> None:
    a, b, c = ranks.spread(3)
    keys = positions([a, None, c, None])
    assert keys[0] == a and keys[2] == c
    assert keys == sorted(keys) and len(set(keys)) == 4


def test_positions_move_only_what_is_out_of_place() -> None:
    a, b, c = ranks.spread(3)
    keys = positions([b, c, a])
    assert keys[:2] == [b, c] and keys[2] > c
