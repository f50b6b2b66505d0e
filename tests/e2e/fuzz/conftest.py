"""Fuzz profiles and the app every fuzz test starts from.

Profiles (select with `CHATPINS_FUZZ_PROFILE`, default `ci`):
- `ci`: bounded and repeatable — the same examples on every run (derandomized), no shrinking
  (labels already say what a case was), so the whole directory runs in a few minutes on SQLite
  and PostgreSQL.
- `long`: 20 times the examples, random each run, with shrinking and Hypothesis' example
  database, for hunting. The command and its last findings are in docs/reliability.md.

Each test gets a fresh app with rate limits lifted (a 429 is a valid answer, but it would stop
the case before the parser it is meant to reach).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.e2e.feishu_client import Feishu
from tests.e2e.fuzz.harness import NO_TLS, REQUEST_TIMEOUT, Outbox
from tests.e2e.fuzz.world import FuzzApp
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server
from tests.e2e.zim.client import Zim

CI_EXAMPLES = 10

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)
settings.register_profile(
    "long",
    parent=settings.get_profile("ci"),
    max_examples=CI_EXAMPLES * 20,
    derandomize=False,
    database=settings.get_profile("default").database,
    phases=list(Phase),
    print_blob=True,
)

NO_RATE_LIMITS = {
    "api_rate_per_second": 0,
    "api_rate_per_minute": 0,
    "message_rate_per_second": 0,
    "zim_rate_limits": False,
}


@pytest.fixture
def fuzz_app(
    server: Server, admin: httpx.Client, feishu_factory: Callable[[], Feishu]
) -> Iterator[FuzzApp]:
    feishu = feishu_factory()
    feishu.patch_app(**NO_RATE_LIMITS)
    app = feishu.app
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT, verify=NO_TLS) as http:
        yield FuzzApp(
            base_url=server.base_url,
            admin=admin,
            http=http,
            feishu=feishu,
            imkit=IMKit(server.base_url, admin, app, http),
            zim=Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http),
            outbox=Outbox(admin, app["id"]),
        )
