"""``/docs``: Swagger UI for the native API, served from the package, never from a CDN, so it
works offline (a laptop on a plane, a CI runner without internet). The assets are swagger-ui-dist
5.x, unchanged (``chatpins/static/swagger/SOURCE.txt``); ReDoc is not served.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = DOCS_PATH + "/assets"
OAUTH2_REDIRECT_PATH = DOCS_PATH + "/oauth2-redirect"


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, its assets and Swagger UI's OAuth2 redirect page to ``app`` (built with
    ``docs_url=None, redoc_url=None``, so FastAPI adds none of its own)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} {app.version}: native API"

    async def swagger_ui(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            # No call to the public validator (swagger.io) from the page.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, oauth2_redirect, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(packages=[("chatpins", "static/swagger")]))
