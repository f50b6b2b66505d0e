"""An independent ZIM server-API client, written from the vendor sheet (zim.md §1–§3).

Signature v2.0: lower_hex(MD5(str(AppId) + SignatureNonce + ServerSecret + str(Timestamp))).
Nothing from the ``chatpins`` package is imported.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


def zim_signature(app_id: int, nonce: str, server_secret: str, timestamp: int) -> str:
    return hashlib.md5(f"{app_id}{nonce}{server_secret}{timestamp}".encode()).hexdigest()


def new_nonce() -> str:
    """16 hex characters: the hex of 8 random bytes, as the vendor's docs generate it."""
    return secrets.token_bytes(8).hex()


@dataclass
class Zim:
    base_url: str
    app_id: int
    server_secret: str
    http: httpx.Client = field(repr=False)

    def params(
        self, action: str, *, nonce: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        nonce = new_nonce() if nonce is None else nonce
        timestamp = int(time.time()) if timestamp is None else timestamp
        return {
            "Action": action,
            "AppId": str(self.app_id),
            "SignatureNonce": nonce,
            "Timestamp": str(timestamp),
            "SignatureVersion": "2.0",
            "Signature": zim_signature(self.app_id, nonce, self.server_secret, timestamp),
        }

    def call(self, action: str, body: Any = None, **signing: Any) -> dict[str, Any]:
        return self.raw(self.params(action, **signing), body)

    def raw(
        self, params: dict[str, str] | str, body: Any = None, *, content: bytes | None = None
    ) -> dict[str, Any]:
        """POST / with exactly these query params; the reply must be HTTP 200 JSON."""
        if content is None:
            reply = self.http.post("/", params=params, json=body if body is not None else {})
        else:
            reply = self.http.post("/", params=params, content=content)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        assert isinstance(data["Code"], int)
        assert isinstance(data["Message"], str)
        assert isinstance(data["RequestId"], str) and data["RequestId"]
        return data

    # ----------------------------------------------------------------- conveniences

    def register(self, *user_ids: str) -> None:
        reply = self.call("UserRegister", {"UserInfo": [{"UserId": u} for u in user_ids]})
        assert reply["Code"] == 0 and reply["ErrorList"] == [], reply

    def create_group(self, owner: str, group_id: str, members: list[str]) -> dict[str, Any]:
        reply = self.call(
            "CreateGroup", {"GroupOwner": owner, "GroupId": group_id, "UserId": members}
        )
        assert reply["Code"] == 0, reply
        return reply

    def pin(self, user: str, convs: list[tuple[str, int]], pinned: int = 1) -> dict[str, Any]:
        return self.call(
            "ConvPinned",
            {
                "FromUserId": user,
                "ConvList": [{"ConvId": c, "ConvType": t} for c, t in convs],
                "PinnedType": pinned,
            },
        )

    def send_text(self, sender: str, receiver: str, text: str = "hi") -> dict[str, Any]:
        reply = self.call(
            "SendPeerMessage",
            {
                "FromUserId": sender,
                "ToUserId": [receiver],
                "MessageType": 1,
                "Priority": 1,
                "MessageBody": {"Message": text},
            },
        )
        assert reply["Code"] == 0, reply
        return reply

    def conversations(self, user: str, **options: Any) -> dict[str, Any]:
        reply = self.call("QueryConversationList", {"FromUserId": user, **options})
        assert reply["Code"] == 0, reply
        return reply

    def pinned(self, user: str) -> list[str]:
        listed = self.conversations(user, Limit=500, PinnedFirst=True)["List"]
        return [c["ConvId"] for c in listed if c["IsPinned"]]
