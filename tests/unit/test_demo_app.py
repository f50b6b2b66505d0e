"""The demo app's fixed credentials: each in its vendor's form, the same in the README, the
server and the e2e tests, and shown only while they still open the app."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from chatpins.core.entities import App
from chatpins.core.identity import hash_secret
from chatpins.core.services.apps import new_app
from chatpins.core.services.demo_app import DEMO, documented_secrets
from tests.e2e import demo_credentials

README = Path(__file__).resolve().parents[2] / "README.md"


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_each_credential_has_its_vendors_form() -> None:
    assert re.fullmatch(r"app_[0-9a-f]{16}", DEMO.app_id)
    assert re.fullmatch(r"cli_[0-9a-f]{16}", DEMO.feishu_app_id)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", DEMO.feishu_app_secret)
    header, payload, _signature = DEMO.imkit_client_key.split(".")
    assert json.loads(_b64url(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(_b64url(payload))["appId"] == DEMO.app_id
    assert len(base64.b64decode(DEMO.imkit_api_key, validate=True)) == 33
    assert 1_000_000_000 <= DEMO.zim_app_id < 2**32
    assert re.fullmatch(r"[0-9a-f]{32}", DEMO.zim_server_secret)
    assert re.fullmatch(r"cpk_[0-9a-f]{40}", DEMO.native_api_key)


def test_the_readme_and_the_e2e_tests_document_the_same_values() -> None:
    table = README.read_text().split("### The demo app", 1)[1].split("\n\n**", 1)[0]
    for value in dataclasses.astuple(DEMO):
        assert f"`{value}`" in table, value
    e2e = demo_credentials
    assert dataclasses.astuple(DEMO) == (
        e2e.APP_ID,
        e2e.FEISHU_APP_ID,
        e2e.FEISHU_APP_SECRET,
        e2e.IMKIT_CLIENT_KEY,
        e2e.IMKIT_API_KEY,
        e2e.ZIM_APP_ID,
        e2e.ZIM_SERVER_SECRET,
        e2e.NATIVE_API_KEY,
    )


def _demo_app(**changes: Any) -> App:
    return dataclasses.replace(new_app("demo", DEMO, 0), **changes)


def test_the_documented_secrets_are_shown_while_they_open_the_app() -> None:
    known = documented_secrets(_demo_app())
    assert known is not None
    assert known.feishu_app_secret == DEMO.feishu_app_secret
    assert known.imkit_api_key == DEMO.imkit_api_key
    assert known.native_api_key == DEMO.native_api_key


def test_a_rotated_secret_is_not_shown_and_the_others_still_are() -> None:
    known = documented_secrets(_demo_app(imkit_api_key_hash=hash_secret("new")))
    assert known is not None and known.imkit_api_key is None
    assert known.feishu_app_secret == DEMO.feishu_app_secret


def test_another_app_has_no_documented_secrets() -> None:
    assert documented_secrets(_demo_app(id="app_ffffffffffffffff")) is None
