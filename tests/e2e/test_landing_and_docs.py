"""``/`` and ``/docs`` as a browser sees them: a landing page for a GET of ``/`` (ZIM keeps
every other request to ``/``, and a GET that carries ``Action``), and Swagger UI whose every
asset comes from the server itself, so it works offline."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e import demo_credentials as demo
from tests.e2e.live_server import Server, create_app
from tests.e2e.zim.client import Zim

ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client


def test_a_browser_gets_a_landing_page_with_the_name_version_and_docs(
    http: httpx.Client,
) -> None:
    version = http.get("/openapi.json").json()["info"]["version"]
    reply = http.get("/", headers={"Accept": "text/html"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = reply.text
    assert f"<title>chatpins {version}</title>" in page
    assert 'href="/docs"' in page and 'href="/openapi.json"' in page
    assert "docs/feishu.md" in page
    # Each dialect's own OpenAPI document is linked, and answers.
    documents = re.findall(r'href="(/openapi/\w+\.json)"', page)
    assert sorted(documents) == ["/openapi/feishu.json", "/openapi/imkit.json", "/openapi/zim.json"]
    assert all(http.get(url).status_code == 200 for url in documents)
    # No console exists yet: nothing links to one.
    assert "console" not in page.lower()


def test_the_landing_page_shows_the_demo_credentials_only_in_local_mode(
    server: Server, http: httpx.Client
) -> None:
    page = http.get("/").text
    shown = [value for value in demo.SECRETS if value in page]
    if server.backend == "sqlite":  # local mode: the demo app, made on the empty database
        assert "Mode: <b>local</b>" in page
        assert shown == list(demo.SECRETS)
        assert demo.FEISHU_APP_ID in page and str(demo.ZIM_APP_ID) in page
    else:  # PostgreSQL: production mode, no demo app, no secret
        assert "Mode: <b>production</b>" in page
        assert shown == [] and demo.FEISHU_APP_ID not in page


def test_head_of_root_is_the_landing_page_without_a_body(http: httpx.Client) -> None:
    reply = http.head("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.content == b""


def test_zim_still_answers_every_other_request_to_root(http: httpx.Client) -> None:
    # A POST without Action, and a GET whose Action makes it a ZIM call: ZIM's envelope.
    assert http.post("/").json()["Code"] == 100000006  # Action is empty
    reply = http.get("/", params={"Action": "UserRegister"})
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["Code"] == 100000001  # AppId is not a uint32
    # An empty Action is still ZIM's, not a browser's.
    assert http.get("/?Action=").json()["Code"] == 100000006


def test_a_signed_zim_call_by_get_works_as_by_post(
    server: Server, admin: httpx.Client, http: httpx.Client
) -> None:
    app = create_app(admin, "landing zim get")
    zim = Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http)
    body = b'{"UserInfo": [{"UserId": "gina"}]}'
    reply = http.request("GET", "/", params=zim.params("UserRegister"), content=body)
    assert reply.json()["Code"] == 0, reply.text
    again = zim.call("UserRegister", {"UserInfo": [{"UserId": "gina"}]})
    assert again["Code"] == 660700002  # user already exists: the GET registered her


def test_docs_load_every_asset_from_the_server(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "https://" not in page.text and "http://" not in page.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 3
    for url in urls:
        assert url.startswith("/docs/assets/"), url
        asset = http.get(url)
        assert asset.status_code == 200, url
        expected = ASSET_TYPES[url[url.rindex(".") :]]
        assert expected in asset.headers["content-type"], (url, asset.headers["content-type"])
    bundle = http.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    # The page asks for the server's own OpenAPI document, which answers.
    assert "url: '/openapi.json'" in page.text
    assert http.get("/openapi.json").status_code == 200


def test_redoc_is_not_served(http: httpx.Client) -> None:
    assert http.get("/redoc").status_code == 404
