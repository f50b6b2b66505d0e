"""chatpins in a test suite: a real server, fresh apps, ready clients, an app's clock, fault
rules and reset. In pytest, the plugin (``chatpins.testing.plugin``, registered by the package)
gives the fixtures ``chatpins_server`` and ``chatpins_app``; elsewhere::

    with chatpins.testing.server() as s:
        app = s.new_app()
        client = app.lark_client()
"""

from __future__ import annotations

from chatpins.testing._app import AppClock, ChatpinsApp, ZimClient
from chatpins.testing._server import ChatpinsServer, ServerFailed, server

__all__ = ["AppClock", "ChatpinsApp", "ChatpinsServer", "ServerFailed", "ZimClient", "server"]
