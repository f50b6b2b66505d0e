"""Each surface's reply envelope, from the fact sheets and docs, read into a `Verdict`.

- Feishu (feishu.md §1, §3): JSON `{"code": int, "msg": str}`; code 0 is HTTP 200; business and
  gateway errors are HTTP 400 (429 for the rate limit, 404/405 JSON for unknown paths and
  methods); the token endpoints answer every failure with HTTP 200.
- IMKit (imkit.md §2): `{"RC": int, "RM": str}`; success HTTP 200 RC 0 RM "OK" with `result`;
  an error has HTTP status == RC and `error: {code, message}`.
- ZIM (zim.md §3): HTTP 200 for every outcome, `Code` int, `Message` str, `RequestId` str.
- Native: 2xx JSON (204 empty); 4xx `{"error": {"code": str, "message": str}}`.
"""

from __future__ import annotations

import httpx

from tests.e2e.fuzz.harness import Verdict, assert_not_5xx, excerpt, strict_json

FEISHU_ERROR_STATUSES = {400, 404, 405, 429}
ZIM_INTERNAL_CODES = {1, 100000015, 660800053}


def _where(reply: httpx.Response, case: object) -> str:
    return (
        f"HTTP {reply.status_code} {excerpt(reply.content)!r} for {reply.request.method} "
        f"{excerpt(reply.request.url.raw_path, 120)} with {case!r}"
    )


def _json_content_type(reply: httpx.Response, case: object) -> None:
    content_type = reply.headers.get("content-type", "")
    assert content_type.startswith("application/json"), (
        f"Content-Type {content_type!r}: {_where(reply, case)}"
    )


def feishu(reply: httpx.Response, case: object, *, token_endpoint: bool = False) -> Verdict:
    assert_not_5xx(reply, case)
    body = strict_json(reply, case)
    _json_content_type(reply, case)
    assert isinstance(body, dict), f"not an object: {_where(reply, case)}"
    code, msg = body.get("code"), body.get("msg")
    assert type(code) is int and isinstance(msg, str), f"no code/msg: {_where(reply, case)}"
    if code == 0:
        assert reply.status_code == 200, _where(reply, case)
    elif token_endpoint:
        assert reply.status_code == 200, f"token failures are HTTP 200: {_where(reply, case)}"
    else:
        assert reply.status_code in FEISHU_ERROR_STATUSES, _where(reply, case)
    return Verdict(code != 0, f"HTTP {reply.status_code} code {code} {msg!r}", body)


def imkit(reply: httpx.Response, case: object) -> Verdict:
    assert_not_5xx(reply, case)
    body = strict_json(reply, case)
    _json_content_type(reply, case)
    assert isinstance(body, dict), f"not an object: {_where(reply, case)}"
    rc, rm = body.get("RC"), body.get("RM")
    assert type(rc) is int and isinstance(rm, str), f"no RC/RM: {_where(reply, case)}"
    if reply.status_code == 200:
        assert rc == 0 and rm == "OK" and "result" in body, _where(reply, case)
        return Verdict(False, "HTTP 200 RC 0", body)
    assert rc == reply.status_code, f"RC != HTTP status: {_where(reply, case)}"
    error = body.get("error")
    assert isinstance(error, dict), f"no error object: {_where(reply, case)}"
    assert isinstance(error.get("code"), str) and error["code"], _where(reply, case)
    assert isinstance(error.get("message"), str), _where(reply, case)
    return Verdict(True, f"HTTP {reply.status_code} {error['code']}", body)


def zim(reply: httpx.Response, case: object) -> Verdict:
    assert reply.status_code == 200, f"ZIM answers HTTP 200 always: {_where(reply, case)}"
    body = strict_json(reply, case)
    assert isinstance(body, dict), f"not an object: {_where(reply, case)}"
    code, message, request_id = body.get("Code"), body.get("Message"), body.get("RequestId")
    assert type(code) is int and isinstance(message, str), _where(reply, case)
    assert isinstance(request_id, str) and request_id, f"no RequestId: {_where(reply, case)}"
    # ZIM's 5xx: Code 1 (internal error), 100000015 (gateway internal), 660800053 (the
    # conversation list failed) — every outcome is HTTP 200, so these are the server's failures.
    assert code not in ZIM_INTERNAL_CODES, f"internal error: {_where(reply, case)}"
    return Verdict(code != 0, f"Code {code} {message!r}", body)


def native(reply: httpx.Response, case: object) -> Verdict:
    assert_not_5xx(reply, case)
    if reply.status_code == 204:
        return Verdict(False, "HTTP 204")
    # Every other answer carries JSON: a redirect (Starlette's slash redirect) is an
    # undocumented status with an empty body, not the error envelope.
    assert not 300 <= reply.status_code < 400, f"redirect: {_where(reply, case)}"
    body = strict_json(reply, case)
    _json_content_type(reply, case)
    if reply.status_code < 300:
        return Verdict(False, f"HTTP {reply.status_code}", body)
    assert isinstance(body, dict), f"not an object: {_where(reply, case)}"
    error = body.get("error")
    assert isinstance(error, dict), f"no error object: {_where(reply, case)}"
    assert isinstance(error.get("code"), str) and error["code"], _where(reply, case)
    assert isinstance(error.get("message"), str), _where(reply, case)
    return Verdict(True, f"HTTP {reply.status_code} {error['code']}", body)
