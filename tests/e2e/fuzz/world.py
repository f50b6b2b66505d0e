"""One provisioned app seen through every surface, with the reads a poisoned chat would break.

The "poisoned reads" bug: one stored lone surrogate made IMKit room get, room list and message
list answer 500 for the whole app. So after a case that reached a chat, the reads of every
dialect that expose it must still succeed — with the platform's credentials, which may read any
chat of the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.feishu_client import Feishu
from tests.e2e.fuzz import envelopes
from tests.e2e.fuzz.harness import Outbox, Verdict, after_case, excerpt, send
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.zim.client import Zim, new_nonce, zim_signature

READ_CASE = "read-back"


@dataclass
class FuzzApp:
    base_url: str
    admin: httpx.Client
    http: httpx.Client
    feishu: Feishu
    imkit: IMKit
    zim: Zim
    outbox: Outbox
    _tenant_token: str | None = field(default=None, repr=False)

    @property
    def app(self) -> dict[str, Any]:
        return self.feishu.app

    @property
    def app_id(self) -> str:
        return str(self.app["id"])

    # ---- credentials
    def tenant_token(self) -> str:
        if self._tenant_token is None:
            self._tenant_token = self.feishu.tenant_token()
        return self._tenant_token

    def feishu_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant_token()}"}

    def imkit_platform(self) -> dict[str, str]:
        return {"IM-API-KEY": self.imkit.api_key}

    def imkit_user(self, user: str) -> dict[str, str]:
        return {"IM-CLIENT-KEY": self.imkit.client_key, "IM-Authorization": self.imkit.tokens[user]}

    def zim_query(self, action: str) -> str:
        """A fresh signed public-parameter query for `action` (zim.md §2's formula)."""
        nonce = new_nonce()
        timestamp = int(time.time())
        signature = zim_signature(self.zim.app_id, nonce, self.zim.server_secret, timestamp)
        return (
            f"Action={action}&AppId={self.zim.app_id}&SignatureNonce={nonce}"
            f"&Timestamp={timestamp}&SignatureVersion=2.0&Signature={signature}"
        )

    # ---- the end of every case
    def check(
        self,
        verdict: Verdict,
        case: object,
        read_backs: tuple[Callable[[], None], ...] = (),
        *,
        always_read: bool = False,
    ) -> None:
        after_case(self.base_url, self.outbox, verdict, case, read_backs, always_read=always_read)

    # ---- reads that must keep answering
    def _ok(self, verdict: Verdict, what: str) -> None:
        assert not verdict.refused, f"read-back {what} refused: {verdict.answer}"

    def feishu_reads(self, chat_id: str) -> Callable[[], None]:
        def read() -> None:
            headers = self.feishu_headers()
            pins = send(self.http, "GET", f"/open-apis/im/v1/pins?chat_id={chat_id}", None, headers)
            self._ok(envelopes.feishu(pins, READ_CASE), f"Feishu pin list of {chat_id}")
            chat = send(self.http, "GET", f"/open-apis/im/v1/chats/{chat_id}", None, headers)
            self._ok(envelopes.feishu(chat, READ_CASE), f"Feishu chat get of {chat_id}")

        return read

    def imkit_reads(self, room_id: str) -> Callable[[], None]:
        def read() -> None:
            headers = self.imkit_platform()
            for target in (
                f"/rooms/{room_id}",
                "/rooms?limit=100",
                f"/rooms/{room_id}/messages/v3",
            ):
                reply = send(self.http, "GET", target, None, headers)
                self._ok(envelopes.imkit(reply, READ_CASE), f"IMKit GET {target}")

        return read

    def zim_reads(self, user_id: str) -> Callable[[], None]:
        def read() -> None:
            reply = self.http.post(
                "/?" + self.zim_query("QueryConversationList"),
                json={"FromUserId": user_id, "Limit": 500},
            )
            verdict = envelopes.zim(reply, READ_CASE)
            self._ok(verdict, f"ZIM QueryConversationList of {user_id}")

        return read


def describe(reply: httpx.Response) -> str:
    return f"HTTP {reply.status_code} {excerpt(reply.content, 200)!r}"
