"""The server's logging: credentials never reach a line, tracebacks never show locals."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from chatpins.logs import MAX_TRACEBACK_CHARS, REDACTED, Redactor, configure_logging

SECRET = "s3cr3t-VALUE-9f2c"
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every line of the server's logging in one buffer; the process's logging as it was after."""
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate)
        for name in LOGGERS
        for logger in [logging.getLogger(name)]
    }
    buffer = io.StringIO()
    configure_logging("info", secrets=["configured-admin-key"], stream=buffer)
    try:
        yield buffer
    finally:
        structlog.reset_defaults()
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1:5 - "GET /v1/events/ws?access_token={SECRET}&app_id=a HTTP/1.1" 200',
        f"/v1/x?after=1&TOKEN={SECRET}",
        f"/v1/x?api_key={SECRET}",
        f"/v1/x?a=1;key={SECRET}#top",
        f"POST /?Action=UserRegister&SignatureNonce={SECRET}&Signature={SECRET}x",
        f"/v1/x?app_secret={SECRET}&secret={SECRET}",
        f"Authorization: Bearer {SECRET}",
        f"authorization: Basic {SECRET}",
        f"{{'im-api-key': '{SECRET}', 'IM-Authorization': '{SECRET}'}}",
        f"[(b'authorization', b'Bearer {SECRET}')]",
        f"sent bearer {SECRET} along",
    ],
)
def test_credentials_are_replaced_by_the_marker(line: str) -> None:
    redacted = Redactor()(line)
    assert SECRET not in redacted and REDACTED in redacted


def test_given_secrets_and_generated_admin_keys_are_redacted_anywhere() -> None:
    redact = Redactor(["configured-admin-key"])
    generated = "cpk_" + "0123456789abcdef" * 2 + "01234567"
    text = redact(f"key configured-admin-key and {generated} in prose")
    assert text == f"key {REDACTED} and {REDACTED} in prose"


@pytest.mark.parametrize(
    "line",
    [
        "/v1/apps?after=3&limit=10&SignatureVersion=2.0",
        "missing authorization header",
        "a monkey=1 and keys=2",
    ],
)
def test_lines_without_credentials_are_left_alone(line: str) -> None:
    assert Redactor()(line) == line


def test_structlog_exceptions_show_no_locals(captured: io.StringIO) -> None:
    def fails() -> None:
        local_marker = "LOCAL-MARKER-" + "x" * 8  # noqa: F841 (the local a traceback may not show)
        raise ValueError("boom")

    try:
        fails()
    except ValueError:
        structlog.get_logger("test").exception("it_failed", url=f"/v1/x?token={SECRET}")
    out = captured.getvalue()
    assert "it_failed" in out and "ValueError: boom" in out and "in fails" in out
    assert "LOCAL-MARKER" not in out
    assert SECRET not in out and f"token={REDACTED}" in out


def test_structlog_values_are_redacted_and_bounded(captured: io.StringIO) -> None:
    deep: list[object] = []
    for _ in range(5000):  # a body nested far deeper than the recursion limit's comfort
        deep = [deep]
    structlog.get_logger("test").warning(
        "odd_request", authorization=SECRET, body=deep, headers={"IM-API-KEY": SECRET}
    )
    out = captured.getvalue()
    assert "odd_request" in out and SECRET not in out
    assert len(out) < 2000


def test_a_recursion_error_traceback_stays_small(captured: io.StringIO) -> None:
    def dive(depth: int) -> int:
        return dive(depth + 1) + 1

    try:
        dive(0)
    except RecursionError:
        structlog.get_logger("test").exception("too_deep")
    out = captured.getvalue()
    assert "RecursionError" in out and len(out) <= MAX_TRACEBACK_CHARS + 1000


def test_uvicorn_lines_are_redacted(captured: io.StringIO) -> None:
    path = f"/v1/events/ws?access_token={SECRET}&app_id=app_1"
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:9", "GET", path, "1.1", 200)
    logging.getLogger("uvicorn.error").info('%s - "WebSocket %s" [accepted]', "127.0.0.1:9", path)
    try:
        raise RuntimeError(f"failed on {path}")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    out = captured.getvalue()
    assert out.count(f"access_token={REDACTED}") == 3, out
    assert SECRET not in out
    assert '"GET /v1/events/ws?access_token=***&app_id=app_1 HTTP/1.1" 200' in out


def test_a_header_split_over_arguments_is_redacted(captured: io.StringIO) -> None:
    # The websockets library logs each handshake header as ("< %s: %s", name, value).
    logging.getLogger("uvicorn.error").warning("< %s: %s", "im-api-key", SECRET)
    logging.getLogger("uvicorn.error").warning("< %s: %s", "authorization", f"Bearer {SECRET}")
    out = captured.getvalue()
    assert SECRET not in out
    assert f"im-api-key: {REDACTED}" in out and f"authorization: {REDACTED}" in out


def test_other_libraries_warnings_are_redacted_too(captured: io.StringIO) -> None:
    logging.getLogger("some.library").warning("retrying %s", f"https://h/?key={SECRET}")
    logging.getLogger("some.library").info("chatty %s", SECRET)  # below the root's WARNING
    out = captured.getvalue()
    assert f"key={REDACTED}" in out and SECRET not in out and "chatty" not in out
