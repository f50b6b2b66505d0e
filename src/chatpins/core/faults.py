"""Fault rules: a test suite makes the next requests of one app fail or wait, to try its own
client's error and retry paths (docs/testing.md, "Fault rules").

A rule names a dialect and the requests it matches: ``"METHOD /path"`` for the HTTP dialects,
where ``*`` stands for any run of characters (``"DELETE /open-apis/im/v1/pins/*"``), or an
Action name for ZIM (``"ConvPinned"``). It fires for the next ``times`` matching requests of
its app, then is gone. When it fires, the request waits ``delay_ms``, then runs as usual, or,
with a ``code`` or ``http_status``, is refused before its use case runs (so nothing changes):
the dialect renders that refusal in its own error envelope. Of several matching rules the
oldest fires; one request fires at most one rule.

Rules live in this process's memory: every instance has its own, and a restart forgets them
(the test toolkit runs one instance). Taking a rule has no ``await`` in it, so parallel
requests fire a rule exactly ``times`` times, never more.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from chatpins.core.errors import LimitExceeded, Reason

# Live rules per app: a bound on the memory a test suite can fill.
MAX_RULES_PER_APP = 100
MAX_DELAY_MS = 60_000


@dataclass(frozen=True)
class Fault:
    """What a firing rule does: wait, then refuse (a code and/or an HTTP status) or not."""

    code: int | None = None
    http_status: int | None = None
    delay_ms: int = 0

    @property
    def refuses(self) -> bool:
        return self.code is not None or self.http_status is not None


@dataclass
class FaultRule:
    id: str
    dialect: str
    match: str  # as given, normalised (see ``request_key``)
    times: int
    fault: Fault
    remaining: int = field(init=False)

    def __post_init__(self) -> None:
        self.remaining = self.times


def request_key(request: str) -> str:
    """A request (or a rule's pattern) as rules compare them: ``"METHOD /path"`` with the
    method in capitals and no trailing slash (IMKit answers both forms of every path); an
    Action name (no space) as it is."""
    method, space, path = request.partition(" ")
    if not space:
        return request
    return f"{method.upper()} {path.rstrip('/') or '/'}"


class FaultRules:
    def __init__(self) -> None:
        self._rules: dict[str, list[FaultRule]] = {}
        self._ids = itertools.count(1)

    def add(self, app_id: str, dialect: str, match: str, fault: Fault, times: int = 1) -> FaultRule:
        rules = self._rules.setdefault(app_id, [])
        if len(rules) >= MAX_RULES_PER_APP:
            raise LimitExceeded(
                Reason.FAULT_RULE_LIMIT, f"at most {MAX_RULES_PER_APP} live rules per app"
            )
        rule = FaultRule(f"flt_{next(self._ids)}", dialect, request_key(match), times, fault)
        rules.append(rule)
        return rule

    def of_app(self, app_id: str) -> list[FaultRule]:
        """The app's live rules, oldest first."""
        return list(self._rules.get(app_id, ()))

    def clear(self, app_id: str) -> int:
        """Remove every rule of the app; how many there were."""
        return len(self._rules.pop(app_id, []))

    def take(self, app_id: str, dialect: str, request: str) -> Fault | None:
        """Fire the oldest live rule of the app that matches the request, counting it down;
        None when no rule matches. Synchronous on purpose: see the module's docs."""
        rules = self._rules.get(app_id)
        if not rules:  # nearly every request: no rule for its app
            return None
        key = request_key(request)
        for rule in rules:
            if rule.dialect == dialect and fnmatchcase(key, rule.match):
                rule.remaining -= 1
                if rule.remaining == 0:
                    rules.remove(rule)
                    if not rules:
                        del self._rules[app_id]
                return rule.fault
        return None

    async def arrive(self, app_id: str, dialect: str, request: str) -> Fault | None:
        """What a rule makes of a request that reached its use case: after the delay of the
        rule it fires (if any), the fault when the request is to be refused, else None."""
        fault = self.take(app_id, dialect, request)
        if fault is None:
            return None
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        return fault if fault.refuses else None
