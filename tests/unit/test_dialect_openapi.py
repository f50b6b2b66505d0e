"""Each dialect's OpenAPI document is generated from its route table, is valid OpenAPI 3.1, and
``docs/coverage.md`` says exactly what the route tables serve.

A route added without a description fails the document's build; one marked implemented in the
coverage page but not served (or served but not on the page) fails here.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Route

from chatpins.app import DIALECTS
from chatpins.core.context import Deps
from chatpins.dialects.feishu import openapi as feishu_openapi
from chatpins.dialects.feishu import routes as feishu_routes
from chatpins.dialects.imkit import openapi as imkit_openapi
from chatpins.dialects.imkit import routes as imkit_routes
from chatpins.dialects.shell import DialectApp
from chatpins.dialects.zim import openapi as zim_openapi
from chatpins.dialects.zim import openapi_models as zim_models
from chatpins.dialects.zim import routes as zim_routes
from chatpins.dialects.zim import schemas as zim_schemas

COVERAGE = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
FEISHU_PREFIX = "/open-apis"


def _served() -> dict[str, DialectApp]:
    """The dialects the server registers. Building their apps stores their deps and uses
    nothing of them, so no database is needed."""
    no_deps = cast(Deps, SimpleNamespace())
    return {dialect.name: dialect for dialect in (make(no_deps) for make in DIALECTS)}


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    documents = {}
    for name, dialect in _served().items():
        assert dialect.openapi is not None, f"{name} serves no OpenAPI document"
        documents[name] = dialect.openapi()
    return documents


def _route_table() -> dict[str, set[str]]:
    """Every dialect's ``"METHOD /path"`` as its route table serves it (read here directly,
    not through the generator): HEAD and the trailing-slash twins aside."""
    feishu = {
        f"{method} {FEISHU_PREFIX}{route.path.rstrip('/')}"
        for route in feishu_routes.ROUTES
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    imkit = {f"{method} {path}" for method, path, _handler in imkit_routes._ENDPOINTS}
    zim = {f"POST /?Action={name}" for name in zim_routes.ACTIONS}
    return {"feishu": feishu, "imkit": imkit, "zim": zim}


def _documented(document: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_every_served_dialect_has_a_document() -> None:
    assert set(_documents()) == {"feishu", "imkit", "zim"}


@pytest.mark.parametrize("dialect", ["feishu", "imkit", "zim"])
def test_every_route_of_the_dialect_is_in_its_document_and_nothing_else(dialect: str) -> None:
    assert _documented(_documents()[dialect]) == _route_table()[dialect]


@pytest.mark.parametrize("dialect", ["feishu", "imkit", "zim"])
def test_the_document_is_valid_openapi_3_1(dialect: str) -> None:
    document = _documents()[dialect]
    assert document["openapi"].startswith("3.1.")
    errors = [str(e) for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


@pytest.mark.parametrize("dialect", ["feishu", "imkit", "zim"])
def test_every_operation_has_a_summary_a_reply_and_the_codes_it_may_answer(dialect: str) -> None:
    for path, item in _documents()[dialect]["paths"].items():
        for method, op in item.items():
            where = f"{dialect} {method} {path}"
            assert op["summary"], where
            ok = op["responses"]["200"]
            assert "$ref" in ok["content"]["application/json"]["schema"], where
            listed = [c for r in op["responses"].values() for c in r.get("x-error-codes", [])]
            assert listed, where


def test_a_route_without_a_description_fails_the_build() -> None:
    async def undescribed() -> None: ...

    with pytest.raises(LookupError, match="GET /im/v1/chats/search"):
        feishu_openapi.document(
            [*feishu_routes.ROUTES, Route("/im/v1/chats/search", undescribed, methods=["GET"])]
        )
    with pytest.raises(LookupError, match="DeleteConv"):
        zim_openapi.document({**zim_routes.ACTIONS, "DeleteConv": zim_routes.ACTIONS["ConvPinned"]})


def test_a_description_no_route_serves_fails_the_build() -> None:
    with pytest.raises(LookupError, match="stale"):
        imkit_openapi.document([r for r in imkit_routes._routes() if r.path.rstrip("/") != "/me"])


def _decorator_argument(endpoint: Any, name: str) -> str:
    """The ``family`` or ``access`` a dialect's ``@endpoint(...)`` gave a handler: the
    keyword of the partial the shell wrapped it with."""
    for value in inspect.getclosurevars(endpoint).nonlocals.values():
        if isinstance(value, functools.partial) and name in value.keywords:
            return str(value.keywords[name])
    raise AssertionError(f"{endpoint.__name__} has no {name}")


def test_feishu_error_families_are_the_ones_the_handlers_answer_with() -> None:
    for route in feishu_routes.ROUTES:
        assert isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}:
            doc = feishu_openapi.OPERATIONS[f"{method} {route.path.rstrip('/')}"]
            if doc.family == "auth":  # the token routes: no gateway, no family
                assert route.path.startswith("/auth/"), route.path
                continue
            assert doc.family == _decorator_argument(route.endpoint, "family"), route.path


def test_imkit_credentials_are_the_ones_the_handlers_accept() -> None:
    for method, path, handler in imkit_routes._ENDPOINTS:
        doc = imkit_openapi.OPERATIONS[f"{method} {path}"]
        assert doc.access == _decorator_argument(handler, "access"), path


def _operation(dialect: str, method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = _documents()[dialect]["paths"][path][method]
    return op


def _codes(op: dict[str, Any], status: str) -> set[Any]:
    return {c["code"] for c in op["responses"][status].get("x-error-codes", [])}


def test_feishu_codes_follow_the_endpoint_family() -> None:
    pin = _operation("feishu", "post", "/open-apis/im/v1/pins")
    assert {230001, 230046, 230047, 99991663} <= _codes(pin, "400")
    assert 232017 not in _codes(pin, "400")  # a chat code
    assert _codes(pin, "429") == {99991400}
    send = _operation("feishu", "post", "/open-apis/im/v1/messages")
    assert 230034 in _codes(send, "400") and 230034 not in _codes(pin, "400")
    dissolve = _operation("feishu", "delete", "/open-apis/im/v1/chats/{chat_id}")
    assert {232001, 232017} <= _codes(dissolve, "400") and 230046 not in _codes(dissolve, "400")
    token = _operation("feishu", "post", "/open-apis/auth/v3/tenant_access_token/internal")
    assert token["security"] == [] and _codes(token, "200") == {10003, 10014}


def test_feishu_operations_take_the_wire_models_fields() -> None:
    document = _documents()["feishu"]
    schemas = document["components"]["schemas"]
    pin = _operation("feishu", "post", "/open-apis/im/v1/pins")
    body = pin["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[body]["required"] == ["message_id"]
    listing = _operation("feishu", "get", "/open-apis/im/v1/pins")
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["chat_id"]["required"] is True
    assert params["page_size"]["schema"] == {
        "default": 20,
        "maximum": 50,
        "minimum": 1,
        "type": "integer",
    }
    assert params["page_token"]["schema"] == {"type": "string"}  # never JSON null in a query
    unpin = _operation("feishu", "delete", "/open-apis/im/v1/pins/{message_id}")
    assert [p["name"] for p in unpin["parameters"]] == ["message_id"]
    assert unpin["security"] == [{"tenant_access_token": []}, {"user_access_token": []}]


def test_imkit_security_follows_who_may_call() -> None:
    platform = _operation("imkit", "post", "/admin/clients")
    assert platform["security"] == [{"IM-API-KEY": []}]
    user = _operation("imkit", "get", "/me")
    assert user["security"] == [{"IM-CLIENT-KEY": [], "IM-Authorization": []}]
    pin = _operation("imkit", "post", "/messages/{message_id}/pin")
    assert len(pin["security"]) == 2 and "requestBody" not in pin
    assert "NOT_ROOM_MEMBER" in _codes(pin, "403") and "INVALID_TOKEN" in _codes(pin, "401")


def test_zim_actions_carry_their_rate_and_business_codes() -> None:
    pinned = _operation("zim", "post", "/?Action=ConvPinned")
    codes = _codes(pinned, "200")
    assert {100000005, 660000002, 660300005, 660500002, 660800001, 660800048} <= codes
    assert 660700001 not in codes  # UserRegister's rate code
    register = _operation("zim", "post", "/?Action=UserRegister")
    assert 660700001 in _codes(register, "200")
    refs = [p["$ref"] for p in pinned["parameters"]]
    assert refs == [f"#/components/parameters/{name}" for name in zim_openapi._PARAMETERS]
    assert pinned["security"] == [{"Signature": []}]


def test_zim_id_pattern_is_the_handlers_character_set() -> None:
    pattern = re.compile(zim_models.id_pattern())
    for char in zim_schemas.ID_CHARS:
        assert pattern.fullmatch(char), char
    for bad in ["", "*", "/", ",", "'", '"', "é", "a" * 33]:
        assert not pattern.fullmatch(bad), bad
        assert zim_schemas.id_problem(bad) is not None, bad


# ---------------------------------------------------------------------- docs/coverage.md

_HEADING = re.compile(r"^## .*`/openapi/(\w+)\.json`")
_ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/\S*)` \| ([a-z ]+) \|")
STATUSES = {"implemented", "partial", "not implemented"}


def _coverage() -> Iterator[tuple[str, str, str]]:
    """(dialect, "METHOD /path", status) of every row of the page's tables."""
    dialect = ""
    for line in COVERAGE.read_text().splitlines():
        heading = _HEADING.match(line)
        if heading:
            dialect = heading.group(1)
            continue
        row = _ROW.match(line)
        if row:
            assert dialect, f"a row before any dialect's heading: {line}"
            yield dialect, f"{row.group(1)} {row.group(2)}", row.group(3)


def test_the_coverage_page_says_exactly_what_the_route_tables_serve() -> None:
    rows = list(_coverage())
    assert {status for _d, _e, status in rows} <= STATUSES
    served = _route_table()
    assert {d for d, _e, _s in rows} == set(served)
    for dialect, endpoints in served.items():
        listed = {e for d, e, s in rows if d == dialect and s != "not implemented"}
        missing = {e for d, e, s in rows if d == dialect and s == "not implemented"}
        assert listed == endpoints, dialect
        assert not missing & endpoints, f"{dialect}: served but marked not implemented"


def test_the_coverage_page_links_each_served_document() -> None:
    text = COVERAGE.read_text()
    for name in _documents():
        assert f"`/openapi/{name}.json`" in text
