"""The pytest plugin shipped in the package (``chatpins.testing.plugin``, entry point
``pytest11``), driven by pytest's own ``pytester``: generated test projects that use its
fixtures run against a real server started by the plugin."""

from __future__ import annotations

import os
import sys

import pytest

from tests.databases import fresh_database

POSTGRES_URL = os.environ.get("CHATPINS_TEST_POSTGRES_URL")

pytest_plugins = ["pytester"]

USES_EVERY_CLIENT = """
import json

def test_native_user_and_app_clock(chatpins_app):
    native = chatpins_app.native()
    assert native.post("/v1/users", json={"id": "alice", "name": "Alice"}).status_code == 201
    frozen = chatpins_app.clock.freeze()
    assert chatpins_app.clock.advance(90) == frozen + 90_000

def test_lark_oapi_gets_a_tenant_token(chatpins_app):
    from lark_oapi.core.token import TokenManager
    client = chatpins_app.lark_client()
    assert TokenManager.get_self_tenant_token(client._config).startswith("t-")

def test_zim_calls_are_signed(chatpins_app):
    reply = chatpins_app.zim().call("UserRegister", {"UserInfo": [{"UserId": "u1"}]})
    assert reply["Code"] == 0, reply

def test_imkit_platform_key(chatpins_app):
    reply = chatpins_app.imkit().post("/admin/clients", json={"_id": "bob", "nickname": "Bob"})
    assert reply.status_code == 200, reply.text

def test_each_test_has_its_own_app(chatpins_app, chatpins_server):
    listed = chatpins_app.native().get("/v1/users/alice")
    assert listed.status_code == 404  # alice belongs to another test's app
    assert chatpins_server.url.startswith("http://127.0.0.1:")
"""


def test_a_project_using_the_fixtures_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_EVERY_CLIENT)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


def test_a_missing_optional_client_skips_the_test_with_its_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
import sys
sys.modules["lark_oapi"] = None  # as if lark-oapi were not installed
"""
    )
    pytester.makepyfile(
        """
def test_needs_lark(chatpins_app):
    chatpins_app.lark_client()
    raise AssertionError("not reached")
"""
    )
    result = pytester.runpytest_subprocess("-rs", "-p", "no:randomly")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*lark-oapi is not installed*"])


def test_the_server_context_manager_works_outside_pytest(pytester: pytest.Pytester) -> None:
    script = pytester.makepyfile(
        check_server="""
import httpx
import chatpins.testing

with chatpins.testing.server() as s:
    app = s.new_app("outside pytest")
    reply = app.native().get("/v1/chats/nothing/pins")
    print("native", reply.status_code)
    url = s.url
try:
    httpx.get(url + "/v1/health", timeout=2)
    print("still up")
except httpx.HTTPError:
    print("stopped")
"""
    )
    result = pytester.run(sys.executable, str(script))
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["native 404", "stopped"])


def test_the_same_tests_run_against_postgresql(pytester: pytest.Pytester) -> None:
    if not POSTGRES_URL:
        pytest.skip("CHATPINS_TEST_POSTGRES_URL not set")
    pytester.makepyfile(
        """
def test_a_native_pin_on_postgresql(chatpins_app, chatpins_server):
    assert "postgresql" in chatpins_server.database_url
    native = chatpins_app.native()
    assert native.post("/v1/users", json={"id": "ann", "name": "Ann"}).status_code == 201
    chat = native.post("/v1/chats", json={"name": "pg", "owner": "ann"})
    assert chat.status_code == 201, chat.text
    assert chatpins_app.clock.advance(60) > 0  # test controls are on, though not local
"""
    )
    with fresh_database(POSTGRES_URL, "chatpins_plugin") as url:
        result = pytester.runpytest_subprocess(
            "-p", "no:randomly", "-p", "no:cacheprovider", f"--chatpins-database-url={url}"
        )
    result.assert_outcomes(passed=1)
