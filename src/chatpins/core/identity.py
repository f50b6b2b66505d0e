"""Derived identifiers and secret hashing (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
import hmac
import re

# Ids made through the native API and Feishu appear in URL paths, and the Node SDK does not
# percent-encode path parameters: keep those free of '/', '?', '#', '%' and whitespace.
# fullmatch, not ^…$: "$" also matches before a trailing newline.
_URL_SAFE_ID = re.compile(r"[A-Za-z0-9_\-.@:+=]{1,128}")
MAX_ID_LENGTH = 128  # the id columns' size


def is_valid_id(value: str) -> bool:
    """Core's own rule for any id: 1-128 characters, no control characters.

    Each dialect enforces its vendor's character set on top (ZIM allows space, '%', '#', '?').
    """
    return 0 < len(value) <= MAX_ID_LENGTH and value.isprintable()


def is_url_safe_id(value: str) -> bool:
    """The stricter rule for ids that travel in URL paths (native API, Feishu)."""
    return bool(_URL_SAFE_ID.fullmatch(value))


def hash_secret(secret: str) -> str:
    """Secrets we only need to check (app secrets, tokens) are stored as SHA-256 digests.

    They are long random strings, so a fast hash is enough; no password stretching needed.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def derive_token(secret: str, nonce: str, length: int) -> str:
    """A token recomputable from the app secret and a stored nonce, never stored itself.

    Lets the token endpoint hand out the same tenant token again while it has ≥ 30 min left
    (Feishu's rule) without keeping the token in clear.
    """
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:length]


def feishu_open_id(app_id: str, user_id: str) -> str:
    """Feishu's per-app user id, derived deterministically from the canonical id."""
    return "ou_" + hashlib.sha256(f"open:{app_id}:{user_id}".encode()).hexdigest()[:32]


def feishu_union_id(app_id: str, user_id: str) -> str:
    return "on_" + hashlib.sha256(f"union:{app_id}:{user_id}".encode()).hexdigest()[:32]


def p2p_chat_id(app_id: str, user_a: str, user_b: str) -> str:
    """The id of the one-on-one chat of two users: the same whichever side starts it and
    whichever dialect asks, so two concurrent first messages meet on one primary key instead of
    creating two chats. Feishu's chat-id form (``oc_`` + 32 hex); 35 characters, so it never
    equals a caller-chosen ZIM GroupId (at most 32)."""
    first, second = sorted((user_a, user_b))
    digest = hashlib.sha256(f"p2p:{app_id}:{first}\x00{second}".encode()).hexdigest()
    return "oc_" + digest[:32]
