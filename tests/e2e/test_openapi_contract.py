"""The native API keeps the contract its ``/openapi.json`` publishes: schemathesis generates
requests from the document (valid ones and ones that break it) and checks that no answer is a
5xx, and that every status, content type and body is one the document declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.live_server import Server, create_app, remove_webhooks

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONTRACT = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _load(
    request: pytest.FixtureRequest, server: Server, **parameters: Any
) -> schemathesis.BaseSchema:
    # schemathesis' lazy loader (4.x) reads ``node._nodeid``, which pytest 9 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", headers=auth)
    schema.config.update(base_url=server.base_url, headers=auth, parameters=parameters or None)
    return schema


@pytest.fixture
def any_ids(request: pytest.FixtureRequest, server: Server) -> schemathesis.BaseSchema:
    """Generated path ids: mostly unknown apps, webhooks and messages."""
    return _load(request, server)


@pytest.fixture
def real_app(
    request: pytest.FixtureRequest, server: Server, admin: httpx.Client
) -> Iterator[schemathesis.BaseSchema]:
    """Every path names one real app, so generated bodies and queries reach its routes. The
    webhooks generated requests registered are deleted after the test: the shared server's
    worker would retry their deliveries, to made-up addresses, the whole session."""
    app = create_app(admin, "e2e openapi contract")
    yield _load(request, server, app_id=app["id"])
    remove_webhooks(admin, app["id"])


any_ids_schema = schemathesis.pytest.from_fixture("any_ids")
real_app_schema = schemathesis.pytest.from_fixture("real_app")


@any_ids_schema.parametrize()
@CONTRACT
def test_any_request_is_answered_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@real_app_schema.parametrize()
@CONTRACT
def test_any_request_to_a_real_app_is_answered_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


NATIVE_CONTRACT = settings(
    max_examples=70,  # about 2,200 requests over the 26 operations (the server access log)
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def native_app(
    request: pytest.FixtureRequest, server: Server, admin: httpx.Client
) -> schemathesis.BaseSchema:
    """The native pin API with one app's api key: every path names a real chat with pinned
    messages and a real member, so generated bodies reach the pin rules, not only 404s."""
    app = create_app(admin, "e2e native contract")
    key = app["native"]["api_key"]
    native = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"})
    with native:
        for user_id in ("alice", "bob"):
            assert native.post("/v1/users", json={"id": user_id}).status_code == 201
        chat = native.post(
            "/v1/chats", json={"id": "contract", "owner": "alice", "members": ["bob"]}
        )
        assert chat.status_code == 201, chat.text
        sent = [
            native.post("/v1/chats/contract/messages", json={"text": f"m{i}"}).json()["id"]
            for i in range(3)
        ]
        for message_id in sent:
            pinned = native.post("/v1/chats/contract/pins", json={"message_id": message_id})
            assert pinned.status_code == 201, pinned.text
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    auth = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", headers=auth)
    schema.config.update(
        base_url=server.base_url,
        headers=auth,
        parameters={"chat_id": "contract", "message_id": sent[0], "user_id": "bob"},
    )
    return schema


# The filter goes on the lazy schema: schemathesis replaces the filters of the schema a fixture
# returns with the lazy schema's own (``get_schema`` in schemathesis.pytest.lazy), so an
# ``include`` in the fixture is dropped and every admin and test-control operation would be
# generated too, each answered 401 to the app's key.
native_schema = schemathesis.pytest.from_fixture("native_app").include(tag="native")


@native_schema.parametrize()
@NATIVE_CONTRACT
def test_any_native_request_with_the_api_key_is_answered_as_documented(
    case: schemathesis.Case,
) -> None:
    case.call_and_validate(checks=CHECKS)
