"""Whatever JSON arrives, the IMKit routes answer IMKit's error envelope (HTTP status == RC),
never a 500, and a refused call changes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.imkit.conftest import IMKit, ok

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
field_names = st.sampled_from(
    [
        "_id",
        "nickname",
        "avatarUrl",
        "issueAccessToken",
        "token",
        "expirationDate",
        "name",
        "cover",
        "roomType",
        "members",
        "owner",
        "managers",
        "roomTags",
        "status",
        "invitee",
        "invitees",
        "property",
        "value",
        "message",
        "messageType",
        "room",
        "sender",
        "systemMessage",
    ]
)
bodies = st.dictionaries(field_names, json_values, max_size=5) | json_values

ENDPOINTS = [
    ("POST", "/admin/clients"),
    ("PUT", "/admin/clients/owner/token"),
    ("DELETE", "/admin/clients/owner/token"),
    ("POST", "/rooms"),
    ("PUT", "/rooms/demo-room"),
    ("POST", "/rooms/demo-room/members"),
    ("POST", "/rooms/demo-room/delete/members"),
    ("PUT", "/rooms/demo-room/member/member"),
    ("POST", "/messages"),
]
USER_ENDPOINTS = [
    ("POST", "/rooms/createAndJoin"),
    ("POST", "/rooms/demo-room/join"),
    ("POST", "/rooms/demo-room/message"),
]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_envelope(status: int, body: dict[str, Any]) -> None:
    assert status < 500, body
    if status == 200:
        assert body["RC"] == 0 and body["RM"] == "OK"
    else:
        assert body["RC"] == status and isinstance(body["RM"], str) and body["error"]["code"]


@FUZZ
@given(body=bodies, which=st.sampled_from(ENDPOINTS + USER_ENDPOINTS))
def test_random_bodies_never_500(demo: IMKit, body: Any, which: tuple[str, str]) -> None:
    method, path = which
    if which in USER_ENDPOINTS:
        reply = demo.as_user("outsider", method, path, json=body)
    else:
        reply = demo.platform(method, path, json=body)
    _assert_envelope(reply.status_code, reply.json())


@FUZZ
@given(body=bodies)
def test_refused_pins_change_nothing(demo: IMKit, body: Any) -> None:
    sent = demo.send("member", "demo-room", "x") if not demo.pinned_ids("demo-room") else None
    before = demo.get_room("demo-room")["pinnedMessage"]
    reply = demo.as_user("member", "POST", f"/messages/{(sent or before)['_id']}/pin", json=body)
    assert reply.status_code == 403
    assert demo.get_room("demo-room")["pinnedMessage"] == before
    if before is None:
        ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))  # type: ignore[index]
