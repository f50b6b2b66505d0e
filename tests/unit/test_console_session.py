"""The console's session cookie and CSRF token: made and checked without storage, bound to the
admin key, so a forged, altered, expired or other-key cookie is no session."""

from __future__ import annotations

from chatpins.api.console import session

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
NOW = 1_800_000_000_000


def test_an_issued_session_is_accepted_with_its_csrf_token() -> None:
    issued = session.issue(KEY, NOW)
    found = session.verify(KEY, issued.value, NOW + 1)
    assert found == issued
    assert found is not None and len(found.csrf) == 64


def test_each_session_has_its_own_csrf_token() -> None:
    assert session.issue(KEY, NOW).csrf != session.issue(KEY, NOW).csrf


def test_a_session_ends_at_its_expiry() -> None:
    issued = session.issue(KEY, NOW)
    assert session.verify(KEY, issued.value, NOW + session.SESSION_TTL_MS - 1) is not None
    assert session.verify(KEY, issued.value, NOW + session.SESSION_TTL_MS) is None


def test_another_admin_key_does_not_accept_it() -> None:
    """Rotating the admin key changes the signing key: every session ends."""
    assert session.verify(OTHER_KEY, session.issue(KEY, NOW).value, NOW) is None


def _changed_last(text: str) -> str:
    """The text with its last hex digit replaced by another one (never the same)."""
    return text[:-1] + ("1" if text[-1] == "0" else "0")


def test_an_altered_cookie_is_no_session() -> None:
    expires, nonce, mac = session.issue(KEY, NOW).value.split(".")
    later = str(int(expires) + 10 * session.SESSION_TTL_MS)
    for forged in (
        f"{later}.{nonce}.{mac}",  # a longer life
        f"{expires}.{_changed_last(nonce)}.{mac}",
        f"{expires}.{nonce}.{_changed_last(mac)}",
        f"{expires}.{nonce}",
        f"-{expires}.{nonce}.{mac}",
        "",
        "..",
        "²." + nonce + "." + mac,
    ):
        assert session.verify(KEY, forged, NOW) is None, forged
