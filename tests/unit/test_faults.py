"""Fault rules: which requests a rule matches, and that it fires exactly ``times`` times."""

from __future__ import annotations

import asyncio
import time

import pytest

from chatpins.core.errors import LimitExceeded
from chatpins.core.faults import MAX_RULES_PER_APP, Fault, FaultRules

REFUSE = Fault(code=230020)


def test_a_rule_fires_times_then_is_gone() -> None:
    rules = FaultRules()
    rules.add("app_a", "feishu", "POST /open-apis/im/v1/pins", REFUSE, times=2)
    fired = [rules.take("app_a", "feishu", "POST /open-apis/im/v1/pins") for _ in range(3)]
    assert fired == [REFUSE, REFUSE, None]
    assert rules.of_app("app_a") == []


def test_remaining_counts_down_in_the_listing() -> None:
    rules = FaultRules()
    rule = rules.add("app_a", "imkit", "POST /rooms", Fault(http_status=503), times=3)
    rules.take("app_a", "imkit", "POST /rooms")
    [listed] = rules.of_app("app_a")
    assert (listed.id, listed.times, listed.remaining) == (rule.id, 3, 2)


def test_wildcards_match_any_run_of_characters() -> None:
    rules = FaultRules()
    rules.add("app_a", "feishu", "DELETE /open-apis/im/v1/pins/*", REFUSE, times=10)
    assert rules.take("app_a", "feishu", "DELETE /open-apis/im/v1/pins/om_1") == REFUSE
    assert rules.take("app_a", "feishu", "DELETE /open-apis/im/v1/pins/om_2/x") == REFUSE
    assert rules.take("app_a", "feishu", "POST /open-apis/im/v1/pins") is None
    assert rules.take("app_a", "feishu", "DELETE /open-apis/im/v1/messages/om_1") is None


def test_a_rule_is_for_its_app_and_dialect_only() -> None:
    rules = FaultRules()
    rules.add("app_a", "imkit", "* /rooms*", Fault(http_status=500))
    assert rules.take("app_b", "imkit", "POST /rooms") is None
    assert rules.take("app_a", "native", "POST /rooms") is None
    assert rules.take("app_a", "imkit", "GET /rooms/r1") == Fault(http_status=500)


def test_method_case_and_trailing_slash_do_not_matter() -> None:
    rules = FaultRules()
    rules.add("app_a", "imkit", "post /rooms/", Fault(http_status=500), times=2)
    assert rules.take("app_a", "imkit", "POST /rooms") is not None
    assert rules.take("app_a", "imkit", "POST /rooms/") is not None


def test_zim_rules_match_the_action_name_whole() -> None:
    rules = FaultRules()
    rules.add("app_a", "zim", "ConvPinned", Fault(code=660000001))
    assert rules.take("app_a", "zim", "ConvPinnedList") is None
    assert rules.take("app_a", "zim", "convpinned") is None
    assert rules.take("app_a", "zim", "ConvPinned") == Fault(code=660000001)


def test_the_oldest_matching_rule_fires_and_only_one_per_request() -> None:
    rules = FaultRules()
    first = Fault(code=1)
    second = Fault(code=2)
    rules.add("app_a", "feishu", "* /open-apis/*", first)
    rules.add("app_a", "feishu", "POST /open-apis/im/v1/pins", second)
    assert rules.take("app_a", "feishu", "POST /open-apis/im/v1/pins") == first
    assert rules.take("app_a", "feishu", "POST /open-apis/im/v1/pins") == second
    assert rules.take("app_a", "feishu", "POST /open-apis/im/v1/pins") is None


def test_clear_removes_the_apps_rules_only() -> None:
    rules = FaultRules()
    rules.add("app_a", "zim", "*", REFUSE, times=5)
    rules.add("app_a", "zim", "ConvPinned", REFUSE)
    rules.add("app_b", "zim", "*", REFUSE)
    assert rules.clear("app_a") == 2
    assert rules.clear("app_a") == 0
    assert rules.take("app_a", "zim", "ConvPinned") is None
    assert rules.take("app_b", "zim", "ConvPinned") == REFUSE


def test_live_rules_per_app_are_capped() -> None:
    rules = FaultRules()
    for _ in range(MAX_RULES_PER_APP):
        rules.add("app_a", "zim", "ConvPinned", REFUSE)
    with pytest.raises(LimitExceeded):
        rules.add("app_a", "zim", "ConvPinned", REFUSE)
    rules.add("app_b", "zim", "ConvPinned", REFUSE)  # another app has room


async def test_parallel_requests_fire_a_rule_exactly_times_times() -> None:
    rules = FaultRules()
    rules.add("app_a", "native", "POST /v1/chats/*/pins", Fault(http_status=503), times=5)
    outcomes = await asyncio.gather(
        *(rules.arrive("app_a", "native", "POST /v1/chats/c1/pins") for _ in range(20))
    )
    assert sum(o is not None for o in outcomes) == 5


async def test_delayed_parallel_requests_still_fire_exactly_times_times() -> None:
    rules = FaultRules()
    rules.add("app_a", "zim", "ConvPinned", Fault(code=1, delay_ms=20), times=5)
    outcomes = await asyncio.gather(
        *(rules.arrive("app_a", "zim", "ConvPinned") for _ in range(20))
    )
    assert sum(o is not None for o in outcomes) == 5


async def test_a_delay_alone_waits_then_lets_the_request_run() -> None:
    rules = FaultRules()
    rules.add("app_a", "zim", "ConvPinned", Fault(delay_ms=50))
    started = time.monotonic()
    assert await rules.arrive("app_a", "zim", "ConvPinned") is None
    assert time.monotonic() - started >= 0.05
    assert rules.of_app("app_a") == []  # the delay was its one time


async def test_a_delayed_refusal_waits_then_refuses() -> None:
    rules = FaultRules()
    fault = Fault(http_status=500, delay_ms=30)
    rules.add("app_a", "imkit", "GET /me", fault)
    started = time.monotonic()
    assert await rules.arrive("app_a", "imkit", "GET /me") == fault
    assert time.monotonic() - started >= 0.03
