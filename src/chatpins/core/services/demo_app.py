"""The demo app of local mode, with fixed credentials that the README documents, so every
snippet there runs as written: they are public on purpose. Local mode binds loopback by default;
production mode never creates this app (``chatpins serve --mode production``).

Each value has the form its vendor's own credentials have: a Feishu app id is ``cli_`` and 16
hex digits (our token endpoint refuses other forms) and its secret 32 letters and digits; an
IMKit client key looks like a JWT and its API key like 33 bytes in base64; a ZIM AppId is a
ten-digit uint32 and its ServerSecret 32 hex digits; a native API key is ``cpk_`` and 40 hex.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core.context import Deps
from chatpins.core.entities import App
from chatpins.core.identity import hash_secret
from chatpins.core.services.apps import Credentials, NewApp, ensure_demo_app

DEMO = Credentials(
    app_id="app_0123456789abcdef",
    feishu_app_id="cli_0123456789abcdef",
    feishu_app_secret="chatpinsDemoFeishuSecret00000000",
    imkit_client_key=(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJhcHBJZCI6ImFwcF8wMTIzNDU2Nzg5YWJjZGVmIiwiZGVtbyI6dHJ1ZX0"
        ".chatpins-demo-client-key"
    ),
    imkit_api_key="chatpinsDemoImkitApiKeyForLocalUse0000000000",
    zim_app_id=1234567890,
    zim_server_secret="0123456789abcdef0123456789abcdef",
    native_api_key="cpk_0123456789abcdef0123456789abcdef01234567",
)


@dataclass(frozen=True)
class DemoSecrets:
    """Which of the documented secrets still open the demo app (``None``: rotated since)."""

    feishu_app_secret: str | None
    imkit_api_key: str | None
    native_api_key: str | None


def documented_secrets(app: App) -> DemoSecrets | None:
    """For the demo app, the documented secrets that still work; None for any other app.

    Only hashes are stored, so a secret is shown only when its hash is the documented value's:
    rotating one (``chatpins apps rotate-secret``) hides it everywhere.
    """
    if app.id != DEMO.app_id:
        return None

    def still(value: str, stored: str | None) -> str | None:
        return value if stored == hash_secret(value) else None

    return DemoSecrets(
        feishu_app_secret=still(DEMO.feishu_app_secret, app.feishu_secret_hash),
        imkit_api_key=still(DEMO.imkit_api_key, app.imkit_api_key_hash),
        native_api_key=still(DEMO.native_api_key, app.native_api_key_hash),
    )


async def ensure_local_demo_app(deps: Deps) -> NewApp | None:
    """On an empty database, create the demo app with the documented credentials."""
    return await ensure_demo_app(deps, DEMO)


async def find_demo_app(deps: Deps) -> App | None:
    async with deps.uow() as uow:
        return await uow.apps.get(DEMO.app_id)
