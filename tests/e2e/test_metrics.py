from __future__ import annotations

import httpx

from tests.e2e.feishu_client import Feishu


def _count(text: str, method: str, route: str, status: str, dialect: str = "feishu") -> float:
    labels = f'dialect="{dialect}",method="{method}",route="{route}",status="{status}"'
    needle = f"chatpins_http_requests_total{{{labels}}}"
    for line in text.splitlines():
        if line.startswith(needle):
            return float(line.split()[-1])
    return 0.0


def test_metrics_count_requests_by_dialect_and_route_template(feishu: Feishu) -> None:
    before = httpx.get(feishu.base_url + "/metrics").text
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    feishu.expect_error(feishu.pin("om_unknown"), 230001)
    after = httpx.get(feishu.base_url + "/metrics").text
    route = "/open-apis/im/v1/pins"
    assert _count(after, "POST", route, "200") == _count(before, "POST", route, "200") + 1
    assert _count(after, "POST", route, "400") == _count(before, "POST", route, "400") + 1
    # Labels hold route templates, never ids.
    assert chat_id not in after and message_id not in after
