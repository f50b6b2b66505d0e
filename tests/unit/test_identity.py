from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from chatpins.core.identity import (
    derive_token,
    feishu_open_id,
    feishu_union_id,
    hash_secret,
    is_url_safe_id,
    is_valid_id,
    secrets_match,
)


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_feishu_ids_have_the_vendor_form_and_are_stable(app_id: str, user_id: str) -> None:
    open_id = feishu_open_id(app_id, user_id)
    assert re.fullmatch(r"ou_[0-9a-f]{32}", open_id)
    assert re.fullmatch(r"on_[0-9a-f]{32}", feishu_union_id(app_id, user_id))
    assert feishu_open_id(app_id, user_id) == open_id


def test_same_user_id_in_two_apps_gets_two_open_ids() -> None:
    assert feishu_open_id("app_a", "alice") != feishu_open_id("app_b", "alice")


def test_secret_hash_matches_only_its_secret() -> None:
    stored = hash_secret("s3cret")
    assert secrets_match("s3cret", stored)
    assert not secrets_match("s3cret ", stored)


def test_derived_token_depends_on_secret_and_nonce() -> None:
    token = derive_token("secret", "nonce", 40)
    assert len(token) == 40
    assert token == derive_token("secret", "nonce", 40)
    assert token != derive_token("secret2", "nonce", 40)
    assert token != derive_token("secret", "nonce2", 40)


@given(st.text(max_size=200))
def test_url_safe_ids_never_contain_url_breaking_characters(value: str) -> None:
    if is_url_safe_id(value):
        assert not set(value) & set("/?#% \t\n")
        assert 1 <= len(value) <= 128


@given(st.text(max_size=200))
def test_core_ids_are_short_and_printable(value: str) -> None:
    if is_valid_id(value):
        assert 1 <= len(value) <= 128
        assert value.isprintable()


def test_core_ids_accept_zim_characters_that_urls_do_not() -> None:
    for value in ("a b", "50%", "#tag", "why?", "x|y~z"):
        assert is_valid_id(value)
        assert not is_url_safe_id(value)
    assert not is_valid_id("tab\there")
    assert not is_valid_id("")
