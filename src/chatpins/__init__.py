"""chatpins: a self-hosted pinning backend for chat.

Speaks the Feishu/Lark open platform pin API (and, in later releases, IMKit and ZEGOCLOUD ZIM)
over one dialect-neutral core.
"""

__version__ = "0.1.0"
