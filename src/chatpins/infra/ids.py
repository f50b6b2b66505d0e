from __future__ import annotations

import secrets


class RandomIds:
    """Random identifiers from the OS's CSPRNG."""

    def hex(self, n_chars: int) -> str:
        return secrets.token_hex((n_chars + 1) // 2)[:n_chars]

    def alnum(self, n_chars: int) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(secrets.choice(alphabet) for _ in range(n_chars))
