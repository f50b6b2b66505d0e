"""The IMKit sub-application, served at the root for the paths in ``PREFIXES``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from chatpins.core.context import Deps

# First path segments that belong to IMKit (IMKit paths have no version prefix).
PREFIXES = frozenset({"admin", "me", "rooms", "messages"})


def build_imkit_app(deps: Deps) -> ASGIApp:
    app = Starlette(routes=[])
    app.state.deps = deps
    return app
