"""The admin console at ``/console``: apps, chats and their pins, live, for the admin key's
holder. Pages are built on the server (Jinja2) and changed in place with htmx, which is served
from the package (``static/console``), never from a CDN."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from chatpins.api.console.actions import router as actions_router
from chatpins.api.console.chat_actions import router as chat_actions_router
from chatpins.api.console.conversation_actions import router as conversation_actions_router
from chatpins.api.console.credentials import router as credentials_router
from chatpins.api.console.pages import router as pages_router

ASSETS_PATH = "/console/static"


def install(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, StaticFiles(packages=[("chatpins", "static/console")]))
    app.include_router(pages_router)
    app.include_router(actions_router)
    app.include_router(credentials_router)
    app.include_router(chat_actions_router)
    app.include_router(conversation_actions_router)
