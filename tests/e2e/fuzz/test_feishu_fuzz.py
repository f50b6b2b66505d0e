"""Feishu routes under hostile input (feishu.md, docs/feishu.md).

Whatever arrives — any structure at the fields each endpoint reads, depth up to 10,000,
surrogates, NUL, huge integers, repeated keys, garbage with any Content-Type, hostile query
strings and path ids — the answer is Feishu's JSON envelope, never a 5xx; the server stays live;
a refused request changes nothing; and the chat's reads (Feishu, and IMKit's and ZIM's view of
the same chat) keep answering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.e2e.fuzz import envelopes
from tests.e2e.fuzz import strategies as s
from tests.e2e.fuzz.harness import (
    OVERSIZE_BUDGET_S,
    Verdict,
    bind,
    bind_payload,
    cases,
    post_streamed,
    send,
)
from tests.e2e.fuzz.world import FuzzApp, describe

IM = "/open-apis/im/v1"
TOKEN_PATHS = [
    "/open-apis/auth/v3/tenant_access_token/internal",
    "/open-apis/auth/v3/app_access_token/internal",
    "/open-apis/auth/v3/tenant_access_token/internal/",
]

text = st.text(max_size=20)
open_ids = st.sampled_from(["@alice@", "@bob@", "ou_" + "0" * 32])
chat_ids = st.sampled_from(["@chat@", "oc_" + "0" * 32])
message_ids = st.sampled_from(["@message@", "om_" + "0" * 32])
settings_values = st.sampled_from(["only_owner", "all_members", "not_anyone", "allowed", ""])

CHAT_FIELDS: dict[str, st.SearchStrategy[object] | None] = {
    "name": text,
    "description": text,
    "avatar": text,
    "i18n_names": st.fixed_dictionaries({"zh_cn": text, "en_us": text}),
    "owner_id": open_ids,
    "user_id_list": st.lists(open_ids, max_size=3),
    "bot_id_list": st.lists(text, max_size=2),
    "chat_mode": st.just("group"),
    "chat_type": st.sampled_from(["private", "public", "p2p"]),
    "group_message_type": st.sampled_from(["chat", "thread"]),
    "join_message_visibility": settings_values,
    "leave_message_visibility": settings_values,
    "membership_approval": st.sampled_from(["no_approval_required", "approval_required"]),
    "edit_permission": settings_values,
    "add_member_permission": settings_values,
    "share_card_permission": settings_values,
    "pin_manage_setting": settings_values,
    "hide_member_count_setting": settings_values,
    "labels": st.lists(text, max_size=2),
    "restricted_mode_setting": st.fixed_dictionaries({"status": st.booleans()}),
    "external": st.booleans(),
}
CHAT_QUERY: dict[str, st.SearchStrategy[str] | None] = {
    "user_id_type": st.sampled_from(["open_id", "union_id", "user_id"]),
    "set_bot_manager": st.sampled_from(["true", "False"]),
    "uuid": st.text(alphabet="abc123", max_size=8),
}
MESSAGE_FIELDS: dict[str, st.SearchStrategy[object] | None] = {
    "receive_id": chat_ids,
    "msg_type": st.sampled_from(["text", "post", "image", "interactive", "system", "hongbao"]),
    "uuid": st.text(alphabet="abc123", max_size=8),
}


@dataclass
class Chat:
    app: FuzzApp
    chat_id: str
    message_id: str

    @property
    def names(self) -> dict[str, str]:
        feishu = self.app.feishu
        return {
            "chat": self.chat_id,
            "message": self.message_id,
            "alice": feishu.open_id("alice"),
            "bob": feishu.open_id("bob"),
            "app_id": feishu.app_id,
            "app_secret": feishu.app_secret,
        }

    def request(self, method: str, target: str, payload: s.Payload | None = None) -> httpx.Response:
        if payload is not None:
            payload = bind_payload(payload, self.names)
        headers = self.app.feishu_headers()
        return send(self.app.http, method, bind(target, self.names), payload, headers)

    def reads(self) -> tuple[Callable[[], None], ...]:
        """The chat through every dialect that shows it: Feishu, IMKit, and alice's ZIM list."""
        return (
            self.app.feishu_reads(self.chat_id),
            self.app.imkit_reads(self.chat_id),
            self.app.zim_reads("alice"),
        )

    def chat_state(self) -> bytes:
        reply = self.request("GET", f"{IM}/chats/{self.chat_id}?user_id_type=open_id")
        assert reply.status_code == 200, describe(reply)
        return reply.content


@pytest.fixture
def chat(fuzz_app: FuzzApp) -> Iterator[Chat]:
    feishu = fuzz_app.feishu
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(members=["alice", "bob"], name="fuzz")
    message_id = feishu.send_text(chat_id, "hello")
    fuzz_app.outbox.catch_up()
    chat = Chat(fuzz_app, chat_id, message_id)
    yield chat
    # Whatever the cases left behind (refused ones included), the chat still reads everywhere.
    for read in chat.reads():
        read()


def _with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


# ----------------------------------------------------------------------------- generated


@cases(1.5)
@given(
    path=st.sampled_from(TOKEN_PATHS),
    payload=s.payloads(
        s.bodies(
            {
                "app_id": st.sampled_from(["@app_id@", "cli_" + "0" * 16]),
                "app_secret": st.sampled_from(["@app_secret@", "x" * 32]),
            }
        )
    ),
)
def test_token_endpoint_answers_any_body(chat: Chat, path: str, payload: s.Payload) -> None:
    bound = bind_payload(payload, chat.names)
    reply = send(chat.app.http, "POST", path, bound)
    verdict = envelopes.feishu(reply, payload, token_endpoint=True)
    # A token is no change to the app: no case here may write an event, refused or not.
    chat.app.check(Verdict(True, verdict.answer), payload)


@cases(1.5)
@given(query=s.query_string(CHAT_QUERY), payload=s.payloads(s.bodies(CHAT_FIELDS)))
def test_chat_create_answers_any_body(chat: Chat, query: str, payload: s.Payload) -> None:
    reply = chat.request("POST", _with_query(f"{IM}/chats", query), payload)
    # IMKit's room list shows every chat of the app, the new one included.
    chat.app.check(envelopes.feishu(reply, payload), payload, chat.reads())


@cases(1.5)
@given(
    chat_id=s.path_id(st.just("@chat@")),
    payload=s.payloads(s.bodies(CHAT_FIELDS)),
)
def test_chat_update_answers_any_body(chat: Chat, chat_id: str, payload: s.Payload) -> None:
    before = chat.chat_state()
    reply = chat.request("PUT", f"{IM}/chats/{chat_id}?user_id_type=open_id", payload)
    verdict = envelopes.feishu(reply, (chat_id, payload))
    chat.app.check(verdict, payload, (chat.app.feishu_reads(chat.chat_id),))
    if verdict.refused:
        assert chat.chat_state() == before, f"refused update changed the chat: {payload!r}"


@cases(1.5)
@given(
    route=st.sampled_from(
        [
            ("POST", "members"),
            ("DELETE", "members"),
            ("POST", "managers/add_managers"),
            ("POST", "managers/delete_managers"),
        ]
    ),
    chat_id=s.path_id(st.just("@chat@")),
    query=s.query_string(
        {
            "member_id_type": st.sampled_from(["open_id", "user_id", "app_id"]),
            "succeed_type": st.sampled_from(["0", "1", "2"]),
        }
    ),
    payload=s.payloads(
        s.bodies({"id_list": st.lists(open_ids, max_size=3), "manager_ids": st.lists(open_ids)})
    ),
)
def test_member_calls_answer_any_body(
    chat: Chat, route: tuple[str, str], chat_id: str, query: str, payload: s.Payload
) -> None:
    method, tail = route
    reply = chat.request(method, _with_query(f"{IM}/chats/{chat_id}/{tail}", query), payload)
    verdict = envelopes.feishu(reply, (route, chat_id, query, payload))
    chat.app.check(verdict, payload, (chat.app.feishu_reads(chat.chat_id),))


@cases(2.5)
@given(
    query=st.one_of(
        st.just("receive_id_type=chat_id"),
        s.query_string({"receive_id_type": st.sampled_from(["chat_id", "open_id", "email"])}),
    ),
    payload=s.payloads(
        s.bodies({**MESSAGE_FIELDS, "content": st.just('{"text":"hi"}')})
        | st.builds(
            lambda fields, content: s.obj([*fields, ("content", content)]),
            st.just([("receive_id", s.plain("@chat@")), ("msg_type", s.plain("text"))]),
            s.feishu_content(),
        )
    ),
)
def test_message_create_answers_any_body_and_reads_survive(
    chat: Chat, query: str, payload: s.Payload
) -> None:
    reply = chat.request("POST", _with_query(f"{IM}/messages", query), payload)
    verdict = envelopes.feishu(reply, (query, payload))
    chat.app.check(verdict, payload, chat.reads())


@cases(1.5)
@given(payload=s.payloads(s.bodies({"message_id": message_ids})))
def test_pin_create_answers_any_body(chat: Chat, payload: s.Payload) -> None:
    reply = chat.request("POST", f"{IM}/pins", payload)
    verdict = envelopes.feishu(reply, payload)
    chat.app.check(verdict, payload, (chat.app.feishu_reads(chat.chat_id),))


@cases(1)
@given(message_id=s.path_id(message_ids), payload=st.none() | s.payloads(s.any_value))
def test_pin_delete_answers_any_id(chat: Chat, message_id: str, payload: s.Payload | None) -> None:
    reply = chat.request("DELETE", f"{IM}/pins/{message_id}", payload)
    verdict = envelopes.feishu(reply, (message_id, payload))
    chat.app.check(verdict, (message_id, payload), (chat.app.feishu_reads(chat.chat_id),))


@cases(1.5)
@given(
    query=s.query_string(
        {
            "chat_id": chat_ids,
            "start_time": st.integers(0, 2**41).map(str),
            "end_time": st.integers(0, 2**41).map(str),
            "page_size": st.integers(0, 60).map(str),
            "page_token": st.sampled_from(["", "GxmvlNRvP0NdQZpa7yIqf_Lv%3D%3D"]),
        }
    )
)
def test_pin_list_answers_any_query(chat: Chat, query: str) -> None:
    reply = chat.request("GET", _with_query(f"{IM}/pins", query))
    verdict = envelopes.feishu(reply, query)
    chat.app.check(verdict, query, (chat.app.feishu_reads(chat.chat_id),))


# ----------------------------------------------------------------------------- regressions


@cases(1)
@given(payload=s.deep_bodies, path=st.sampled_from(TOKEN_PATHS))
@example(payload=s.deep(1000, "list"), path=TOKEN_PATHS[0])
@example(payload=s.deep(10_000, "object"), path=TOKEN_PATHS[0])
def test_deep_body_on_token_endpoint_is_invalid_param(
    chat: Chat, payload: s.Fragment, path: str
) -> None:
    reply = send(chat.app.http, "POST", path, s.Payload(payload.data, None, payload.label))
    verdict = envelopes.feishu(reply, payload, token_endpoint=True)
    assert verdict.body["code"] == 10003, f"{verdict.answer} for {payload!r}"
    chat.app.check(verdict, payload, chat.reads(), always_read=True)


@cases(1)
@given(payload=s.deep_bodies, route=st.sampled_from([("POST", "/pins"), ("POST", "/chats")]))
@example(payload=s.deep(1000, "list"), route=("POST", "/pins"))
@example(payload=s.deep(10_000, "mixed"), route=("POST", "/pins"))
def test_deep_body_on_pins_and_chats_is_invalid_param(
    chat: Chat, payload: s.Fragment, route: tuple[str, str]
) -> None:
    method, path = route
    body = s.Payload(payload.data, "application/json; charset=utf-8", payload.label)
    reply = chat.request(method, IM + path, body)
    verdict = envelopes.feishu(reply, payload)
    expected = 230001 if path == "/pins" else 232001
    assert (reply.status_code, verdict.body["code"]) == (400, expected), verdict.answer
    chat.app.check(verdict, payload, chat.reads(), always_read=True)


@cases(1)
@given(
    surrogate=s.lone_surrogates,
    inner=st.booleans(),
    msg_type=st.sampled_from(["text", "post"]),
)
@example(surrogate=rb"\ud800", inner=True, msg_type="text")
@example(surrogate=rb"\ud800", inner=False, msg_type="text")
def test_lone_surrogate_message_leaves_every_read_of_the_app_working(
    chat: Chat, surrogate: bytes, inner: bool, msg_type: str
) -> None:
    """The poisoned-reads bug: a Feishu message holding a lone surrogate — escaped in the inner
    JSON of `content`, or in `content` itself — is refused (230001) or stored so that Feishu's,
    IMKit's (room get, room list, message list) and ZIM's reads of the app keep answering."""
    escape = surrogate.replace(b"\\", b"\\\\") if inner else surrogate
    content = b'"{\\"text\\":\\"a' + escape + b'\\"}"'
    body = b'{"receive_id":"@chat@","msg_type":"' + msg_type.encode() + b'","content":' + content
    case = s.Payload(body + b"}", "application/json; charset=utf-8", f"{surrogate!r} {inner=}")
    reply = chat.request("POST", f"{IM}/messages?receive_id_type=chat_id", case)
    verdict = envelopes.feishu(reply, case)
    assert verdict.body["code"] in (0, 230001), verdict.answer
    chat.app.check(verdict, case, chat.reads(), always_read=True)


@cases(1)
@given(
    depth=st.one_of(s.depths, st.sampled_from([65, 950, 10_000])),
    shape=st.sampled_from(["list", "object", "mixed"]),
    msg_type=st.sampled_from(["interactive", "text", "post"]),
)
@example(depth=950, shape="list", msg_type="interactive")
def test_deep_json_inside_content_is_refused_or_kept_readable(
    chat: Chat, depth: int, shape: str, msg_type: str
) -> None:
    """`content` is JSON inside a JSON string, and IMKit renders it back as JSON: nesting in it
    deeper than 64 levels is refused (230001, docs/feishu.md; or 230025 when also over the
    content size cap); whatever is kept, every read survives."""
    inner = s.obj([("elements", s.deep(depth, shape))])
    case = s.obj(
        [
            ("receive_id", s.plain("@chat@")),
            ("msg_type", s.plain(msg_type)),
            ("content", s.embedded(inner)),
        ]
    )
    payload = s.Payload(case.data, "application/json; charset=utf-8", case.label)
    reply = chat.request("POST", f"{IM}/messages?receive_id_type=chat_id", payload)
    verdict = envelopes.feishu(reply, case)
    # 230025: over the content size cap (card and post 30 KB), which deep content soon is.
    expected = {230001, 230025} if depth >= 65 else {0, 230001, 230025}
    assert verdict.body["code"] in expected, f"{verdict.answer} for {case!r}"
    chat.app.check(verdict, case, chat.reads(), always_read=True)


@cases(1)
@given(field=st.sampled_from(["start_time", "end_time"]), value=s.huge_integers)
@example(field="start_time", value=2**63)
@example(field="end_time", value=-(2**63) - 1)
def test_pin_list_times_out_of_range_are_invalid_param(chat: Chat, field: str, value: int) -> None:
    query = f"chat_id=@chat@&{field}={value}"
    reply = chat.request("GET", f"{IM}/pins?{query}")
    verdict = envelopes.feishu(reply, query)
    assert (reply.status_code, verdict.body["code"]) == (400, 230001), verdict.answer
    chat.app.check(verdict, query, chat.reads(), always_read=True)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "declared-length"])
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"{IM}/pins", 400, 230001),
        (f"{IM}/messages?receive_id_type=chat_id", 400, 230001),
        (TOKEN_PATHS[0], 200, 10003),
    ],
)
def test_body_over_1_mib_is_refused_before_auth(
    chat: Chat, path: str, status: int, code: int, chunked: bool
) -> None:
    """docs/feishu.md: refused while it streams in, before the token is checked."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    reply, elapsed = post_streamed(chat.app.base_url, path, headers, chunked=chunked)
    verdict = envelopes.feishu(reply, "streamed >1 MiB", token_endpoint=path == TOKEN_PATHS[0])
    assert (reply.status_code, verdict.body["code"]) == (status, code), verdict.answer
    assert elapsed < OVERSIZE_BUDGET_S, f"size refusal took {elapsed:.2f} s"
    chat.app.check(verdict, "streamed >1 MiB", chat.reads(), always_read=True)
