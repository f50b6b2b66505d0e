"""chatpins' own pin API (``/v1``): ordered pins, expiry, history, permissions per action and
versions, over the same core as the vendor dialects. The contract: ``docs/native.md``."""

from chatpins.core.services.tokens import UserTokenFormat, register_user_tokens

# Native user tokens: ``cpu_`` and 40 hex characters, 2 h unless asked otherwise.
register_user_tokens("native", UserTokenFormat(prefix="cpu_", ttl_s=7200))
