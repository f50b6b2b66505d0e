"""The Feishu/Lark open platform dialect (``/open-apis/...``), as lark-oapi speaks it."""

from chatpins.core.services.tokens import UserTokenFormat, register_user_tokens

# Feishu user_access_tokens start with "u-" and live 2 h.
register_user_tokens("feishu", UserTokenFormat(prefix="u-", ttl_s=7200))
