"""The native API's routers are included busiest first; reordering them must not change which
route a request reaches."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from chatpins.app import API_ROUTERS


def _sample(path: str) -> str:
    """A concrete path the template matches: each parameter a plain segment."""
    return re.sub(r"\{[^}]+\}", "x", path)


def test_no_route_is_reached_before_its_own_by_an_earlier_one() -> None:
    routes = [r for router in API_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 40
    shadowed = []
    for i, route in enumerate(routes):
        path = _sample(route.path)
        for earlier in routes[:i]:
            same_method = bool(earlier.methods & route.methods)
            if same_method and earlier.path_regex.match(path) and earlier.path != route.path:
                shadowed.append((route.path, sorted(route.methods), earlier.path))
    assert shadowed == []
