"""One error hierarchy for every use case.

Each error carries a machine ``reason``; every dialect maps (error type, reason) to its own
wire code in a single table (``dialects/<name>/errors.py``).
"""

from __future__ import annotations


class ChatpinsError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class InvalidArgument(ChatpinsError):
    """The request is malformed or names something that cannot exist."""


class NotFound(ChatpinsError):
    """The named entity does not exist in this app (other apps' entities included)."""


class PermissionDenied(ChatpinsError):
    """The actor may not do this."""


class Conflict(ChatpinsError):
    """The change contradicts the current state."""


class LimitExceeded(ChatpinsError):
    """A cap (pins per chat, managers per chat, …) would be broken."""


class RateLimited(ChatpinsError):
    """Too many operations in a time window."""

    def __init__(self, reason: str, detail: str = "", *, limit: int = 0, reset_after: int = 1):
        super().__init__(reason, detail)
        self.limit = limit
        self.reset_after = reset_after


class Gone(ChatpinsError):
    """The entity existed but is no longer usable (dissolved chat, recalled message)."""


class Unsupported(ChatpinsError):
    """The operation is not supported for this kind of entity."""


class Unauthenticated(ChatpinsError):
    """Credentials are missing, unknown, expired or revoked."""
