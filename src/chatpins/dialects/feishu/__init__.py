"""The Feishu/Lark open platform dialect (``/open-apis/...``), as lark-oapi speaks it."""

from chatpins.core.entities import ChatLimits
from chatpins.core.services.chats import register_chat_limits
from chatpins.core.services.tokens import UserTokenFormat, register_user_tokens

# Feishu user_access_tokens start with "u-" and live 2 h.
register_user_tokens("feishu", UserTokenFormat(prefix="u-", ttl_s=7200))
# Chats made through Feishu: ≤ 10 managers (chat.members.managers), ≤ 5 pin/unpin per second on
# one message (230047), and message types Feishu cannot pin (230054).
register_chat_limits(
    "feishu",
    ChatLimits(
        max_admins=10, pin_rate_per_message=5, unpinnable_types=["system", "hongbao", "video_chat"]
    ),
)
