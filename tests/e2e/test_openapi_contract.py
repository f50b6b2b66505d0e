"""The native API keeps the contract its ``/openapi.json`` publishes: schemathesis generates
requests from the document (valid ones and ones that break it) and checks that no answer is a
5xx, and that every status, content type and body is one the document declares."""

from __future__ import annotations

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

from tests.e2e.live_server import Server, create_app

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
) -> schemathesis.BaseSchema:
    """Every path names one real app, so generated bodies and queries reach its routes."""
    app = create_app(admin, "e2e openapi contract")
    return _load(request, server, app_id=app["id"])


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
