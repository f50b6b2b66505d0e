"""``GET /`` in a browser: what this server is, where its docs are and, in local mode, the demo
app's credentials. ZIM owns ``/`` for its API (``POST /?Action=…``, any method): the dispatcher
sends only a GET or HEAD of ``/`` without an ``Action`` parameter here (``dispatch.is_landing``).
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from chatpins import __version__
from chatpins.core.context import Deps
from chatpins.core.entities import App
from chatpins.core.identity import feishu_open_id
from chatpins.core.services.demo_app import documented_secrets, find_demo_app
from chatpins.settings import Settings

# The contracts in the repository (not served: the package carries the code only).
REPO_DOCS = (
    ("docs/native.md", "native API"),
    ("docs/feishu.md", "Feishu / Lark"),
    ("docs/imkit.md", "IMKit"),
    ("docs/zim.md", "ZEGOCLOUD ZIM"),
    ("docs/events.md", "events, streams, webhooks"),
)
ENDPOINTS = (
    ("Feishu / Lark", "/open-apis/…"),
    ("IMKit", "/admin/clients, /me, /rooms…, /messages…"),
    ("ZEGOCLOUD ZIM", "POST /?Action=…"),
    ("native", "/v1/…"),
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chatpins {version}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
  padding: 0 1rem; color: #222; }}
code, td.v {{ font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }}
td {{ padding: 0.15rem 0.8rem 0.15rem 0; vertical-align: top; }}
th {{ text-align: left; padding-right: 0.8rem; }}
.note {{ color: #555; }}
</style>
</head>
<body>
<h1>chatpins <small>{version}</small></h1>
<p>A self-hosted pinning backend for chat that speaks the Feishu/Lark, IMKit and ZEGOCLOUD ZIM
server APIs and its own native API, on this one port. Mode: <b>{mode}</b>.</p>
<h2>Docs</h2>
<ul>
<li><a href="/docs">/docs</a>: the native API, interactive (<a href="/openapi.json">OpenAPI
document</a>)</li>
{documents}<li>In the repository: {repo_docs}</li>
</ul>
<h2>Endpoints</h2>
<table>{endpoints}</table>
{credentials}
</body>
</html>
"""


async def landing(request: Request) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    deps: Deps = request.app.state.deps
    credentials = _production_note()
    if settings.is_local:
        credentials = _demo_table(await find_demo_app(deps))
    page = _PAGE.format(
        version=escape(__version__),
        documents=_documents(request),
        mode="local" if settings.is_local else "production",
        repo_docs=", ".join(f"<code>{path}</code> ({what})" for path, what in REPO_DOCS),
        endpoints="".join(
            f"<tr><td>{escape(name)}</td><td><code>{escape(where)}</code></td></tr>"
            for name, where in ENDPOINTS
        ),
        credentials=credentials,
    )
    return HTMLResponse(page)


def _documents(request: Request) -> str:
    """Each dialect's OpenAPI document (``api/dialect_openapi.py``), when the app serves them."""
    documents = getattr(request.app.state, "dialect_openapi", None)
    if documents is None:
        return ""
    links = [
        f'<a href="{escape(url)}">{escape(name)}</a>'
        for name, url in documents.urls().items()
        if name != "native"
    ]
    return f"<li>What each dialect serves, as OpenAPI: {', '.join(links)}</li>\n" if links else ""


def _production_note() -> str:
    return (
        '<p class="note">Production mode: no demo app, and no credential is shown here. '
        "<code>chatpins apps list</code> and <code>chatpins apps show APP</code> list the "
        "apps.</p>"
    )


def _demo_table(app: App | None) -> str:
    if app is None:
        return (
            '<h2>Demo app</h2><p class="note">None: it is made only on an empty database '
            "(<code>chatpins apps list</code> shows the apps there are).</p>"
        )
    known = documented_secrets(app)
    rotated = f"rotated: <code>chatpins apps show {escape(app.id)}</code>"

    def secret(value: str | None) -> str:
        return f"<code>{escape(value)}</code>" if value is not None else rotated

    rows = (
        ("app id", f"<code>{escape(app.id)}</code>"),
        ("Feishu app_id", f"<code>{escape(app.feishu_app_id)}</code>"),
        ("Feishu app_secret", secret(known.feishu_app_secret if known else None)),
        ("Feishu bot open_id", f"<code>{feishu_open_id(app.id, app.bot_user_id)}</code>"),
        ("IMKit client key", f"<code>{escape(app.imkit_client_key)}</code>"),
        ("IMKit API key", secret(known.imkit_api_key if known else None)),
        ("ZIM AppId", f"<code>{app.zim_app_id}</code>"),
        ("ZIM ServerSecret", f"<code>{escape(app.zim_server_secret)}</code>"),
        ("native API key", secret(known.native_api_key if known else None)),
    )
    body = "".join(f"<tr><th>{name}</th><td class=v>{value}</td></tr>" for name, value in rows)
    return (
        "<h2>Demo app</h2><p>Local mode: fixed credentials, the ones the README uses.</p>"
        f"<table>{body}</table>"
    )
