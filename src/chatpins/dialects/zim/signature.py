"""ZIM request signatures, version 2.0 (zim.md §2).

``Signature = lower_hex(MD5(str(AppId) + SignatureNonce + ServerSecret + str(Timestamp)))`` —
four strings concatenated without separators. Neither the Action nor the body is signed, which
is why every nonce is accepted only once (see ``gateway``).
"""

from __future__ import annotations

import hashlib
import hmac

VERSION = "2.0"


def sign(app_id: int, nonce: str, server_secret: str, timestamp: int) -> str:
    text = f"{app_id}{nonce}{server_secret}{timestamp}"
    return hashlib.md5(text.encode()).hexdigest()


def verify(app_id: int, nonce: str, server_secret: str, timestamp: int, signature: str) -> bool:
    """Case-insensitive and in constant time."""
    expected = sign(app_id, nonce, server_secret, timestamp)
    return hmac.compare_digest(expected.encode(), signature.lower().encode("utf-8", "replace"))
