"""``/metrics`` labels come from a closed set, whatever methods and paths clients invent: the
known methods or ``OTHER``, a route template or ``unmatched``, a dialect the server serves. A
label taken from the request as sent would grow one series per invented value (once 23,000
random methods made ``/metrics`` 38 MB)."""

from __future__ import annotations

import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.live_server import Server

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
DIALECTS = {"native", "feishu", "imkit", "zim"}
REQUESTS_PER_EXAMPLE = 60
# A batch may open a few series (OTHER on ZIM's route, on unmatched paths, on a native route
# answering 405); one series per invented method or path would be dozens.
MAX_NEW_SERIES = 12

_SERIES = re.compile(r"^chatpins_http_requests_total\{(?P<labels>.*)\} ", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

# RFC 9110 tokens: what a client may send as a method. CONNECT changes what the target means.
methods = st.from_regex(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,19}", fullmatch=True).filter(
    lambda m: m.upper() != "CONNECT"
)
segments = st.from_regex(r"[a-z0-9_-]{3,12}", fullmatch=True)
# Unknown paths under each dialect's ground: the native API, Feishu, IMKit and the root.
prefixes = st.sampled_from(["", "/v1", "/v1/apps/x", "/open-apis", "/open-apis/im/v1", "/rooms"])
paths = st.builds(lambda p, s: f"{p}/zz{s}", prefixes, segments)


def _series(text: str) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted(_LABEL.findall(m["labels"]))) for m in _SERIES.finditer(text)}


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sent=st.lists(
        st.tuples(methods, paths | st.just("/")),
        min_size=REQUESTS_PER_EXAMPLE,
        max_size=REQUESTS_PER_EXAMPLE,
        unique_by=lambda r: r[0],
    )
)
def test_invented_methods_and_paths_do_not_become_label_values(
    server: Server, sent: list[tuple[str, str]]
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        before = _series(http.get("/metrics").text)
        for method, path in sent:
            http.request(method, path)
        text = http.get("/metrics").text
        assert http.get("/v1/health").status_code == 200
    after = _series(text)

    invented_segments = {path.rsplit("/", 1)[1] for _, path in sent if path != "/"}
    for labels in after:
        values = dict(labels)
        assert values["method"] in KNOWN_METHODS | {"OTHER"}, values
        assert values["dialect"] in DIALECTS, values
        route = values["route"]
        assert route == "unmatched" or route.startswith("/"), values
        assert not any(segment in route for segment in invented_segments), values
        assert values["status"].isdigit(), values
    assert any(dict(labels)["method"] == "OTHER" for labels in after)
    assert len(after - before) <= MAX_NEW_SERIES, sorted(after - before)
    # The invented values appear nowhere in the exposition, not even in another metric.
    invented_methods = {m for m, _ in sent if m not in KNOWN_METHODS and len(m) > 3}
    assert not [m for m in invented_methods if f'"{m}"' in text]
