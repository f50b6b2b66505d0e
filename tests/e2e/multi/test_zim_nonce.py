"""The ZIM nonce replay cache is shared: a signed query used on one instance is refused on
the other (zim.md: a reused `SignatureNonce` → 100000005, nothing changes)."""

from __future__ import annotations

import pytest

from tests.e2e.multi.cluster import Pair, outbox

pytestmark = pytest.mark.postgres


def test_a_zim_nonce_used_on_one_instance_is_refused_on_the_other(pair: Pair) -> None:
    app = pair.new_app("zim nonce")
    zim_a, zim_b = pair.a.zim(app), pair.b.zim(app)
    zim_a.register("owner", "member")

    signed = zim_a.params("CreateGroup")
    first = zim_a.raw(signed, {"GroupOwner": "owner", "GroupId": "g1", "UserId": ["member"]})
    assert first["Code"] == 0, first
    # The same query string (signature, nonce, timestamp) on B, asking for another group.
    replay = zim_b.raw(signed, {"GroupOwner": "owner", "GroupId": "g2", "UserId": ["member"]})
    assert (replay["Code"], replay["Message"]) == (100000005, "SignatureNonce already used")

    created = [
        e["payload"]["chat_id"] for e in outbox(pair.b.admin, app) if e["type"] == "chat.created"
    ]
    assert created == ["g1"]  # the refused replay made nothing
    assert zim_b.call("CreateGroup", {"GroupOwner": "owner", "GroupId": "g2"})["Code"] == 0
