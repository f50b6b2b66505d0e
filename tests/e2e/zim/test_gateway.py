"""Public parameters, signature v2.0, replay and skew (zim.md §1, §2, §4)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.live_server import Server, admin_client, create_app
from tests.e2e.zim.client import Zim, new_nonce, zim_signature


def _without(params: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != name}


def _pinned_count(zim: Zim, user: str) -> int:
    return len(zim.pinned(user))


@pytest.fixture
def ready(zim: Zim) -> Zim:
    zim.register("alice", "bob")
    return zim


BODY = {"FromUserId": "alice", "ConvList": [{"ConvId": "bob", "ConvType": 0}], "PinnedType": 1}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p: _without(p, "Action"), 100000006),
        (lambda p: {**p, "Action": ""}, 100000006),
        (lambda p: {**p, "Action": "PinEverything"}, 100000007),
        (lambda p: {**p, "Action": "convpinned"}, 100000007),
        (lambda p: _without(p, "AppId"), 100000001),
        (lambda p: {**p, "AppId": ""}, 100000001),
        (lambda p: {**p, "AppId": "abc"}, 100000001),
        (lambda p: {**p, "AppId": "-5"}, 100000001),
        (lambda p: {**p, "AppId": "4294967296"}, 100000001),
        (lambda p: {**p, "AppId": "12.5"}, 100000001),
        (lambda p: _without(p, "SignatureNonce"), 100000008),
        (lambda p: {**p, "SignatureNonce": ""}, 100000008),
        (lambda p: {**p, "SignatureNonce": "x" * 129}, 100000008),
        (lambda p: _without(p, "Timestamp"), 100000002),
        (lambda p: {**p, "Timestamp": ""}, 100000002),
        (lambda p: {**p, "Timestamp": "soon"}, 100000003),
        (lambda p: {**p, "Timestamp": "1.5e9"}, 100000003),
        (lambda p: _without(p, "SignatureVersion"), 100000013),
        (lambda p: {**p, "SignatureVersion": ""}, 100000013),
        (lambda p: {**p, "SignatureVersion": "1.0"}, 100000014),
        (lambda p: _without(p, "Signature"), 100000009),
        (lambda p: {**p, "Signature": ""}, 100000009),
        (lambda p: {**p, "Signature": "0" * 32}, 100000005),
        (lambda p: {**p, "Signature": "Pc5WB8gokVn0xfeu/ZV+iNM1dgI="}, 100000005),
    ],
)
def test_every_public_param_rule_has_its_code_and_changes_nothing(
    ready: Zim, change, code: int
) -> None:
    reply = ready.raw(change(ready.params("ConvPinned")), BODY)
    assert reply["Code"] == code, reply
    assert reply["Message"]
    assert _pinned_count(ready, "alice") == 0


def test_unknown_but_well_formed_app_id_is_100000010(ready: Zim) -> None:
    other = Zim(ready.base_url, 4294967295, ready.server_secret, ready.http)
    if other.app_id == ready.app_id:  # pragma: no cover - one in four billion
        other.app_id = 1
    assert other.call("ConvPinned", BODY)["Code"] == 100000010


def test_a_signature_with_another_apps_secret_is_refused(ready: Zim) -> None:
    forged = Zim(ready.base_url, ready.app_id, "f" * 32, ready.http)
    reply = forged.call("ConvPinned", BODY)
    assert reply["Code"] == 100000005
    assert _pinned_count(ready, "alice") == 0


def test_uppercase_hex_signature_is_accepted(ready: Zim) -> None:
    params = ready.params("ConvPinned")
    params["Signature"] = params["Signature"].upper()
    assert ready.raw(params, BODY)["Code"] == 0


def test_nonce_of_any_non_empty_form_is_accepted(ready: Zim) -> None:
    # The vendor's own sample URL uses a 14-digit nonce.
    assert ready.call("ConvPinned", BODY, nonce="15215528852396")["Code"] == 0


# The server reads its clock a moment after the client: a second may tick in between, which
# brings a future timestamp one second closer (+601 could arrive as exactly 600, accepted). So
# the smallest future skew that is off in every run is +602; a past one only grows.
@pytest.mark.parametrize("skew", [-601, 602, -3600, 10**6])
def test_timestamp_more_than_10_minutes_off_is_100000004(ready: Zim, skew: int) -> None:
    reply = ready.call("ConvPinned", BODY, timestamp=int(time.time()) + skew)
    assert reply["Code"] == 100000004
    assert _pinned_count(ready, "alice") == 0


@pytest.mark.parametrize("skew", [-590, 590])
def test_timestamp_within_10_minutes_is_accepted(ready: Zim, skew: int) -> None:
    assert ready.call("ConvPinned", BODY, timestamp=int(time.time()) + skew)["Code"] == 0


def test_a_replayed_nonce_is_refused_and_changes_nothing(ready: Zim) -> None:
    params = ready.params("ConvPinned")
    assert ready.raw(params, {**BODY, "PinnedType": 1})["Code"] == 0
    # The same signed query with another body: the body is not signed, the nonce stops it.
    reply = ready.raw(params, {**BODY, "PinnedType": 0})
    assert reply["Code"] == 100000005
    assert reply["Message"] == "SignatureNonce already used"
    assert reply["ErrorList"] == []
    assert ready.pinned("alice") == ["bob"]


def test_a_nonce_used_by_a_failed_request_is_still_spent(ready: Zim) -> None:
    params = ready.params("ConvPinned")
    assert ready.raw(params, {"FromUserId": "alice"})["Code"] == 660000002
    assert ready.raw(params, BODY)["Code"] == 100000005


def test_the_same_nonce_in_two_apps_is_two_nonces(ready: Zim, zim_factory) -> None:
    other = zim_factory()
    other.register("alice", "bob")
    nonce = new_nonce()
    assert ready.call("ConvPinned", BODY, nonce=nonce)["Code"] == 0
    assert other.call("ConvPinned", BODY, nonce=nonce)["Code"] == 0


def test_the_body_is_json_whatever_the_content_type(ready: Zim) -> None:
    import json

    reply = ready.raw(ready.params("ConvPinned"), content=json.dumps(BODY).encode())
    assert reply["Code"] == 0


def test_a_body_that_is_not_json_is_660000002(ready: Zim) -> None:
    assert ready.raw(ready.params("ConvPinned"), content=b"{not json")["Code"] == 660000002
    assert ready.raw(ready.params("ConvPinned"), ["a"])["Code"] == 660000002


def test_every_reply_is_http_200_even_for_get_and_unknown_methods(ready: Zim) -> None:
    for method in ("GET", "PUT", "DELETE"):
        reply = ready.http.request(method, "/", params=ready.params("ConvPinned"))
        assert reply.status_code == 200
        assert reply.json()["Code"] == 660000002  # no body: FromUserId is missing
    reply = ready.http.post("/")
    assert reply.status_code == 200 and reply.json()["Code"] == 100000006


def test_the_vendor_worked_example_signature() -> None:
    assert (
        zim_signature(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943)
        == "43e5cfcca828314675f91b001390566a"
    )


@pytest.fixture
def restartable_zim(restartable_server: Server) -> Iterator[tuple[Server, Zim]]:
    with admin_client(restartable_server) as admin:
        app = create_app(admin, "e2e zim restart")
    with httpx.Client(base_url=restartable_server.base_url, timeout=30.0) as http:
        yield (
            restartable_server,
            Zim(
                restartable_server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http
            ),
        )


def test_a_nonce_stays_spent_across_a_restart(restartable_zim: tuple[Server, Zim]) -> None:
    server, zim = restartable_zim
    zim.register("alice", "bob")
    params = zim.params("ConvPinned")
    assert zim.raw(params, BODY)["Code"] == 0
    server.process.restart()
    reply = zim.raw(params, {**BODY, "PinnedType": 0})
    assert reply["Code"] == 100000005
    assert reply["Message"] == "SignatureNonce already used"
    assert zim.pinned("alice") == ["bob"]
