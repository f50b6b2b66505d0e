"""ZIM actions under hostile input (zim.md, docs/zim.md), every one signed.

Requests are signed with the independent signer of tests/e2e/zim/client.py, written from zim.md
§2: lower_hex(MD5(AppId + SignatureNonce + ServerSecret + Timestamp)). Each action gets any
structure at the fields it reads (depth up to 10,000, surrogates, NUL, huge integers, repeated
keys, wrong types), garbage with any Content-Type, and hostile public parameters and methods.
Every answer is HTTP 200 JSON with `Code`, `Message`, `RequestId`, never an internal error; the
server stays live; a refused request (Code != 0) changes nothing; the users' conversation lists
and the group's IMKit view keep answering.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.e2e.fuzz import envelopes
from tests.e2e.fuzz import strategies as s
from tests.e2e.fuzz.harness import OVERSIZE_BUDGET_S, Verdict, cases, post_streamed, send
from tests.e2e.fuzz.world import FuzzApp
from tests.e2e.zim.client import new_nonce, zim_signature

GROUP = "zg1"
ACTIONS = [
    "UserRegister",
    "CreateGroup",
    "InviteUsersIntoGroup",
    "SendPeerMessage",
    "SendGroupMessage",
    "ConvPinned",
    "QueryConversationList",
]
text = st.text(max_size=20)
users = st.sampled_from(["zu1", "zu2", "zu3", "ghost", "zu9"])
groups = st.sampled_from([GROUP, "zg2", "#x", ""])
small_ints = st.integers(-1, 300)


def items(fields: dict[str, st.SearchStrategy[object] | None]) -> st.SearchStrategy[s.Fragment]:
    """A list of hostile objects, for batch fields (`UserInfo`, `ConvList`, ...)."""
    return st.lists(s.object_body(fields), max_size=3).map(s.arr)


MESSAGE_BODY = s.object_body(
    {
        "Message": text,
        "ExtendedData": text,
        "OfflinePush": st.fixed_dictionaries({"Enable": st.integers(0, 1), "Title": text}),
        "HasReceipt": st.integers(-1, 2),
        "IsBase64": st.integers(-1, 2),
    }
)
MESSAGE_FIELDS: dict[str, st.SearchStrategy[object] | None] = {
    "FromUserId": users,
    "MessageType": st.sampled_from([1, 2, 10, 11, 20, 200, 0]),
    "Priority": st.integers(0, 4),
    "MessageBody": MESSAGE_BODY,
    "SubMsgType": small_ints,
    "SearchedContent": text,
    "SenderUnaware": st.integers(-1, 2),
    "SendMsgOptions": st.fixed_dictionaries({"NoUnread": st.booleans()}),
}
FIELDS: dict[str, dict[str, st.SearchStrategy[object] | None]] = {
    "UserRegister": {
        "UserInfo": items({"UserId": users, "UserName": text, "UserAvatar": text}),
    },
    "CreateGroup": {
        "GroupOwner": users,
        "GroupId": groups,
        "GroupName": text,
        "GroupNotice": text,
        "GroupAvatar": text,
        "UserId": st.lists(users, max_size=3),
        "Attributes": items({"Key": text, "Value": text}),
        "CreateGroupTime": st.integers(0, 2**41),
    },
    "InviteUsersIntoGroup": {
        "FromUserId": users,
        "GroupId": groups,
        "UserIds": st.lists(users, max_size=3),
        "GroupMemberInfos": items(
            {"UserId": users, "EnterGroupTime": st.integers(0, 2**41), "IsInvite": small_ints}
        ),
    },
    "SendPeerMessage": {**MESSAGE_FIELDS, "ToUserId": st.lists(users, max_size=3)},
    "SendGroupMessage": {**MESSAGE_FIELDS, "GroupId": groups},
    "ConvPinned": {
        "FromUserId": users,
        "ConvList": items({"ConvId": st.one_of(users, groups), "ConvType": st.integers(-1, 3)}),
        "PinnedType": st.integers(-1, 2),
    },
    "QueryConversationList": {
        "FromUserId": users,
        "Limit": small_ints,
        "Next": small_ints,
        "PinnedFirst": st.booleans(),
    },
}


@dataclass
class Zim:
    app: FuzzApp

    def call(self, action: str, payload: s.Payload | None, method: str = "POST") -> httpx.Response:
        return send(self.app.http, method, "/?" + self.app.zim_query(action), payload)

    def reads(self) -> tuple[Callable[[], None], ...]:
        return (self.app.zim_reads("zu1"), self.app.zim_reads("zu2"), self.app.imkit_reads(GROUP))


@pytest.fixture
def zim(fuzz_app: FuzzApp) -> Iterator[Zim]:
    client = fuzz_app.zim
    client.register("zu1", "zu2", "zu3")
    client.create_group("zu1", GROUP, ["zu2"])
    client.send_text("zu1", "zu2", "hello")
    fuzz_app.outbox.catch_up()
    zim = Zim(fuzz_app)
    yield zim
    # Whatever the cases left behind (refused ones included), the lists still read.
    for read in zim.reads():
        read()


def _finish(zim: Zim, verdict: Verdict, case: object, *, always_read: bool = False) -> None:
    zim.app.check(verdict, case, zim.reads(), always_read=always_read)


# ----------------------------------------------------------------------------- generated


@cases(5)
@given(data=st.data(), action=st.sampled_from(ACTIONS))
def test_every_action_answers_any_body(zim: Zim, data: st.DataObject, action: str) -> None:
    payload = data.draw(s.payloads(s.bodies(FIELDS[action])), label="payload")
    reply = zim.call(action, payload)
    _finish(zim, envelopes.zim(reply, (action, payload)), (action, payload))


@cases(1)
@given(
    message=st.one_of(s.hostile_string(), s.feishu_content(), s.any_value),
    peer=st.booleans(),
)
def test_message_bodies_answer_any_text_and_reads_survive(
    zim: Zim, message: s.Fragment, peer: bool
) -> None:
    target = ("ToUserId", s.plain(["zu2"])) if peer else ("GroupId", s.plain(GROUP))
    case = s.obj(
        [
            ("FromUserId", s.plain("zu1")),
            target,
            ("MessageType", s.plain(1)),
            ("Priority", s.plain(1)),
            ("MessageBody", s.obj([("Message", message)])),
        ]
    )
    payload = s.Payload(case.data, "application/json", case.label)
    reply = zim.call("SendPeerMessage" if peer else "SendGroupMessage", payload)
    _finish(zim, envelopes.zim(reply, payload), payload)


PUBLIC = ["Action", "AppId", "SignatureNonce", "Timestamp", "SignatureVersion", "Signature"]


@cases(1.5)
@given(
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"]),
    action=st.sampled_from(ACTIONS),
    broken=st.dictionaries(st.sampled_from(PUBLIC), s.query_value(), max_size=3),
    repeated=st.booleans(),
)
def test_public_parameters_and_methods_answer_anything(
    zim: Zim, method: str, action: str, broken: dict[str, str], repeated: bool
) -> None:
    """Any public parameter hostile (or repeated), with any method: HTTP 200 JSON (zim.md §3)."""
    query = zim.app.zim_query(action)
    params = dict(part.split("=", 1) for part in query.split("&"))
    params.update(broken)
    target = "/?" + "&".join(f"{k}={v}" for k, v in params.items())
    if repeated:
        target += f"&Action={action}&Timestamp=1"
    body = s.Payload(b'{"FromUserId":"zu1"}', "application/json", "FromUserId=zu1")
    reply = send(zim.app.http, method, target, body)
    verdict = envelopes.zim(reply, (method, broken, repeated))
    _finish(zim, verdict, (method, broken, repeated))


# ----------------------------------------------------------------------------- regressions


@cases(1.5)
@given(payload=s.deep_bodies, action=st.sampled_from(ACTIONS))
@example(payload=s.deep(1000, "list"), action="ConvPinned")
@example(payload=s.deep(10_000, "object"), action="SendPeerMessage")
def test_deep_body_on_any_action_is_invalid_parameter(
    zim: Zim, payload: s.Fragment, action: str
) -> None:
    reply = zim.call(action, s.Payload(payload.data, "application/json", payload.label))
    verdict = envelopes.zim(reply, (action, payload))
    assert verdict.body["Code"] == 660000002, verdict.answer
    _finish(zim, verdict, (action, payload), always_read=True)


DEEP_FIELD_BASES = {
    "MessageBody": (
        "SendPeerMessage",
        [
            ("FromUserId", s.plain("zu1")),
            ("ToUserId", s.plain(["zu2"])),
            ("MessageType", s.plain(1)),
            ("Priority", s.plain(1)),
        ],
    ),
    "ConvList": ("ConvPinned", [("FromUserId", s.plain("zu1")), ("PinnedType", s.plain(1))]),
    "UserInfo": ("UserRegister", []),
}


@cases(1)
@given(depth=st.integers(1000, 10_000), field=st.sampled_from(sorted(DEEP_FIELD_BASES)))
@example(depth=1000, field="MessageBody")
def test_deep_field_of_a_valid_body_is_invalid_parameter(zim: Zim, depth: int, field: str) -> None:
    action, base = DEEP_FIELD_BASES[field]
    case = s.obj([*base, (field, s.deep(depth, "mixed", s.plain({"ConvId": "zu2"})))])
    reply = zim.call(action, s.Payload(case.data, "application/json", case.label))
    verdict = envelopes.zim(reply, case)
    assert verdict.body["Code"] == 660000002, verdict.answer
    _finish(zim, verdict, case, always_read=True)


@cases(1)
@given(surrogate=s.lone_surrogates, where=st.sampled_from(["Message", "UserName", "GroupName"]))
@example(surrogate=rb"\ud800", where="Message")
def test_lone_surrogate_is_refused_or_kept_readable(zim: Zim, surrogate: bytes, where: str) -> None:
    """Sent directly the issue saw an internal error: now 660000002, or stored readably."""
    value = b'"a' + surrogate + b'"'
    if where == "Message":
        action = "SendPeerMessage"
        data = (
            b'{"FromUserId":"zu1","ToUserId":["zu2"],"MessageType":1,"Priority":1,'
            b'"MessageBody":{"Message":' + value + b"}}"
        )
    elif where == "UserName":
        action = "UserRegister"
        data = b'{"UserInfo":[{"UserId":"zu7","UserName":' + value + b"}]}"
    else:
        action = "CreateGroup"
        data = b'{"GroupOwner":"zu1","GroupId":"zg7","GroupName":' + value + b"}"
    payload = s.Payload(data, "application/json", f"{where}={surrogate!r}")
    reply = zim.call(action, payload)
    verdict = envelopes.zim(reply, payload)
    assert verdict.body["Code"] in (0, 660000002), verdict.answer
    _finish(zim, verdict, payload, always_read=True)


@cases(1)
@given(value=s.huge_integers, field=st.sampled_from(["Limit", "Next"]))
@example(value=2**63, field="Next")
def test_huge_list_integers_are_not_internal_errors(zim: Zim, value: int, field: str) -> None:
    data = b'{"FromUserId":"zu1","' + field.encode() + b'":' + str(value).encode() + b"}"
    payload = s.Payload(data, "application/json", f"{field}={value}")
    reply = zim.call("QueryConversationList", payload)
    verdict = envelopes.zim(reply, payload)
    # Limit is clamped (zim.md §6: > 500 → 500); an offset past int64 is an invalid parameter.
    if field == "Next":
        assert verdict.body["Code"] == 660000002, verdict.answer
    _finish(zim, verdict, payload, always_read=True)


def _signed_target(zim: Zim, secret: str) -> str:
    nonce, timestamp = new_nonce(), int(time.time())
    signature = zim_signature(zim.app.zim.app_id, nonce, secret, timestamp)
    return (
        f"/?Action=ConvPinned&AppId={zim.app.zim.app_id}&SignatureNonce={nonce}"
        f"&Timestamp={timestamp}&SignatureVersion=2.0&Signature={signature}"
    )


@pytest.mark.parametrize(
    ("signed", "chunked"),
    [(True, True), (True, False), (False, False)],
    ids=["signed-chunked", "signed-declared-length", "unsigned-declared-length"],
)
def test_body_over_1_mib_is_100000012(zim: Zim, signed: bool, chunked: bool) -> None:
    """docs/zim.md §12: a declared Content-Length over 1 MiB is refused before the gateway's
    checks; a streamed body that grows past it is refused when the body is read."""
    target = _signed_target(zim, zim.app.zim.server_secret if signed else "not-the-secret")
    headers = {"Content-Type": "application/json"}
    reply, elapsed = post_streamed(zim.app.base_url, target, headers, chunked=chunked)
    verdict = envelopes.zim(reply, f"over 1 MiB, {signed=} {chunked=}")
    assert verdict.body["Code"] == 100000012, verdict.answer
    assert elapsed < OVERSIZE_BUDGET_S, f"size refusal took {elapsed:.2f} s"
    _finish(zim, verdict, "over 1 MiB", always_read=True)


def test_unsigned_streamed_body_over_1_mib_is_refused_quickly(zim: Zim) -> None:
    """Unsigned and chunked: design.md's one reader caps every body while it streams, before
    auth, so the size refusal answers — as on every other surface. (docs/zim.md step 12 still
    reads a chunked body only after the signature; one of the two must change.)"""
    target = _signed_target(zim, "not-the-secret")
    headers = {"Content-Type": "application/json"}
    reply, elapsed = post_streamed(zim.app.base_url, target, headers)
    verdict = envelopes.zim(reply, "unsigned streamed >1 MiB")
    assert verdict.body["Code"] == 100000012, verdict.answer
    assert elapsed < OVERSIZE_BUDGET_S, f"refusal took {elapsed:.2f} s"
    _finish(zim, verdict, "unsigned streamed >1 MiB", always_read=True)
