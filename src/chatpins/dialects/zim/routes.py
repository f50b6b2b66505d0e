"""The ZIM sub-application: every action is ``POST /?Action=<Name>``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from chatpins.core.context import Deps


def build_zim_app(deps: Deps) -> ASGIApp:
    app = Starlette(routes=[])
    app.state.deps = deps
    return app
