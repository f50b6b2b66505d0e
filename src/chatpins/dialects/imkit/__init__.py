"""The IMKit Chat Server REST dialect (``/rooms``, ``/messages/:id/pin``, ``/admin/clients``)."""

from chatpins.core.services.tokens import UserTokenFormat, register_user_tokens

# IMKit tokens are opaque strings (the vendor's examples show bare hex); the vendor's example
# expires 7 days after issue.
register_user_tokens("imkit", UserTokenFormat(ttl_s=7 * 24 * 3600))
