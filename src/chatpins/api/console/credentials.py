"""The console's credentials page for one app: every credential that can be shown, a Rotate for
each secret, ready-to-paste snippets for each dialect, and user tokens issued on request.

Three secrets are stored only as hashes (Feishu app_secret, IMKit API key, native API key), so
the page cannot show them: a rotation makes a new one and shows it once, in the reply to that
POST (``Cache-Control: no-store``), never stored and never in a URL. The snippets are filled
with this server's base URL and the app's values; a secret the page cannot know is a placeholder,
or the freshly rotated value on the rotation's reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from shlex import quote
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from chatpins.api.console import views
from chatpins.api.console.pages import deps_of, page
from chatpins.api.console.route import ConsoleRoute, refusal
from chatpins.api.console.session import Change, Session, SignedIn
from chatpins.api.provisioning import iso
from chatpins.core.entities import App
from chatpins.core.errors import ChatpinsError
from chatpins.core.services import apps, tokens
from chatpins.core.services.apps import SecretKind
from chatpins.intake import Unreadable, check_value

router = APIRouter(
    prefix="/console/apps/{app_id}", include_in_schema=False, route_class=ConsoleRoute
)

MAX_USER_ID = 128
MAX_DIALECT = 32  # as the provisioning API's ``TokenIssue``
FEISHU_TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
FEISHU_SECRET = "APP_SECRET"
NATIVE_KEY = "NATIVE_API_KEY"
# A read that changes nothing and needs only a registered user (the app's bot always is).
ZIM_ACTION = "QueryConversationList"

# What each rotation replaces, as the page names it.
SECRET_NAMES = {
    SecretKind.FEISHU: "Feishu app_secret",
    SecretKind.IMKIT: "IMKit API key",
    SecretKind.NATIVE: "native API key",
    SecretKind.ZIM: "ZIM ServerSecret",
}


@dataclass(frozen=True)
class Snippet:
    id: str  # the element's id, which its Copy button names
    title: str
    language: str
    text: str


@dataclass(frozen=True)
class Rotated:
    kind: SecretKind
    name: str
    value: str


@dataclass(frozen=True)
class Issued:
    user_id: str
    dialect: str
    token: str
    expires_at_ms: int
    expires_at: str  # ISO 8601, UTC


def base_url_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def snippets(base: str, app: App, rotated: Rotated | None = None) -> list[Snippet]:
    """The four snippets, each runnable as shown once its placeholders are filled."""
    fresh = {rotated.kind: rotated.value} if rotated else {}
    secret = fresh.get(SecretKind.FEISHU, FEISHU_SECRET)
    key = fresh.get(SecretKind.NATIVE, NATIVE_KEY)
    return [
        Snippet(
            "snippet-feishu-token",
            "Feishu tenant_access_token",
            "shell",
            _curl_token(base, app, secret),
        ),
        Snippet("snippet-lark", "Pin a message with lark-oapi", "python", _lark(base, app, secret)),
        Snippet("snippet-zim", f"ZIM signed request ({ZIM_ACTION})", "python", _zim(base, app)),
        Snippet("snippet-native", "Native API: a chat's pins", "shell", _curl_native(base, key)),
    ]


def _curl_token(base: str, app: App, secret: str) -> str:
    body = json.dumps({"app_id": app.feishu_app_id, "app_secret": secret})
    return (
        f"curl -sS -X POST {quote(base + FEISHU_TOKEN_PATH)} \\\n"
        f"  -H {quote('Content-Type: application/json; charset=utf-8')} \\\n"
        f"  -d {quote(body)}"
    )


def _lark(base: str, app: App, secret: str) -> str:
    return f"""import lark_oapi as lark
from lark_oapi.api.im.v1 import CreatePinRequest, CreatePinRequestBody

client = (
    lark.Client.builder()
    .app_id({json.dumps(app.feishu_app_id)})
    .app_secret({json.dumps(secret)})
    .domain({json.dumps(base)})
    .build()
)
request = (
    CreatePinRequest.builder()
    .request_body(CreatePinRequestBody.builder().message_id("MESSAGE_ID").build())
    .build()
)
response = client.im.v1.pin.create(request)
print(response.code, response.msg)"""


def _zim(base: str, app: App) -> str:
    # Signature v2.0 (zim.md §2): md5 of AppId + SignatureNonce + ServerSecret + Timestamp, a
    # new nonce each request (a reused one is refused).
    return f"""import hashlib
import json
import secrets
import time
import urllib.parse
import urllib.request

BASE_URL = {json.dumps(base)}
APP_ID = {app.zim_app_id}
SERVER_SECRET = {json.dumps(app.zim_server_secret)}

nonce = secrets.token_hex(8)
timestamp = int(time.time())
signature = hashlib.md5(
    f"{{APP_ID}}{{nonce}}{{SERVER_SECRET}}{{timestamp}}".encode()
).hexdigest()
query = urllib.parse.urlencode(
    {{
        "Action": {json.dumps(ZIM_ACTION)},
        "AppId": APP_ID,
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
        "SignatureVersion": "2.0",
        "Signature": signature,
    }}
)
body = json.dumps({{"FromUserId": {json.dumps(app.bot_user_id)}}}).encode()
request = urllib.request.Request(
    f"{{BASE_URL}}/?{{query}}",
    data=body,
    headers={{"Content-Type": "application/json"}},
    method="POST",
)
with urllib.request.urlopen(request) as reply:
    print(json.dumps(json.load(reply)))"""


def _curl_native(base: str, key: str) -> str:
    url, header = f"{base}/v1/chats/CHAT_ID/pins", f"Authorization: Bearer {key}"
    return f"curl -sS {quote(url)} \\\n  -H {quote(header)}"


async def _page(
    request: Request,
    app_id: str,
    signed_in: Session,
    *,
    status: int = 200,
    rotated: Rotated | None = None,
    issued: Issued | None = None,
    token_error: str = "",
    token_form: dict[str, str] | None = None,
) -> Response:
    app = (await views.platform(deps_of(request), app_id)).app
    return page(
        request,
        "credentials.html",
        signed_in,
        status=status,
        app=app,
        snippets=snippets(base_url_of(request), app, rotated),
        secret_names={kind.value: name for kind, name in SECRET_NAMES.items()},
        dialects=tokens.user_token_dialects(),
        rotated=rotated,
        issued=issued,
        token_error=token_error,
        token_form=token_form or {"user_id": "", "dialect": views.NATIVE},
    )


@router.get("/credentials")
async def credentials(request: Request, app_id: str, signed_in: SignedIn) -> Response:
    return await _page(request, app_id, signed_in)


@router.post("/credentials/rotate")
async def rotate(
    request: Request, app_id: str, signed_in: Change, kind: Annotated[SecretKind, Form()]
) -> Response:
    """A new secret of ``kind``; the old one stops working at once. Shown in this reply only."""
    value = await apps.rotate_secret(deps_of(request), app_id, kind)
    done = Rotated(kind, SECRET_NAMES[kind], value)
    return await _page(request, app_id, signed_in, rotated=done)


@router.post("/credentials/token")
async def issue_token(
    request: Request,
    app_id: str,
    signed_in: Change,
    user_id: Annotated[str, Form(min_length=1, max_length=MAX_USER_ID)],
    dialect: Annotated[str, Form(min_length=1, max_length=MAX_DIALECT)],
    ttl_seconds: Annotated[int | None, Form(ge=1, le=tokens.MAX_USER_TOKEN_TTL_S)] = None,
) -> Response:
    """A user token, as ``POST /v1/apps/{app_id}/tokens`` issues it; shown in this reply only.
    A refusal (unknown user, a dialect without user tokens) shows the page again with it."""
    form = {"user_id": user_id, "dialect": dialect}
    try:
        check_value([user_id, dialect])
        made = await tokens.issue_user_token(
            deps_of(request), app_id, user_id, dialect, ttl_seconds
        )
    except (ChatpinsError, Unreadable) as exc:
        status, message = refusal(exc)
        return await _page(
            request, app_id, signed_in, status=status, token_error=message, token_form=form
        )
    shown = Issued(user_id, dialect, made.value, made.expires_at, iso(made.expires_at))
    return await _page(request, app_id, signed_in, issued=shown, token_form=form)
