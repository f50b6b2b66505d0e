"""The ZIM sub-application: every action is ``POST /?Action=<Name>`` (zim.md §1).

Every outcome is HTTP 200 with ``Code``, ``Message`` and ``RequestId`` in a JSON body, for any
method (``TRACE``, ``PROPFIND`` or one nobody defined as well): the gateway, not the HTTP layer,
decides (zim.md §3).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from chatpins import request_context
from chatpins.core.context import Deps
from chatpins.core.errors import ChatpinsError, RateLimited
from chatpins.dialects.shell import DialectApp, build_app, deps_of
from chatpins.dialects.zim import conversations, gateway, groups, messages, openapi, users
from chatpins.dialects.zim.errors import ZimError, error, fault_error, from_core
from chatpins.dialects.zim.gateway import Call, Rate
from chatpins.dialects.zim.wire import error_reply, read_json, unreadable
from chatpins.intake import Unreadable

log = structlog.get_logger(__name__)

Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Action:
    handler: Handler
    rate: Rate | None  # per AppId; None: only a narrower limit (per group) applies
    lists: tuple[str, ...] = ()  # per-item lists, sent as [] on a whole-request failure


APP_RATE = Rate(20, "app_rate")

ACTIONS: dict[str, Action] = {
    "UserRegister": Action(users.user_register, Rate(20, "user_register_rate"), ("ErrorList",)),
    "CreateGroup": Action(groups.create_group, Rate(20, "create_group_rate"), ("ErrorUsers",)),
    "InviteUsersIntoGroup": Action(groups.invite_users, None, ("ErrorUsers",)),
    "SendPeerMessage": Action(
        messages.send_peer_message, APP_RATE, ("ErrorList", "SuccList", "AuditInfos")
    ),
    "SendGroupMessage": Action(messages.send_group_message, Rate(10, "app_rate"), ("AuditInfos",)),
    "ConvPinned": Action(conversations.conv_pinned, APP_RATE, ("ErrorList",)),
    "QueryConversationList": Action(conversations.query_conversation_list, APP_RATE),
}


async def handle(request: Request) -> Response:
    deps = deps_of(request)
    name = ""
    action: Action | None = None
    try:
        name = gateway.action_name(request)
        action = ACTIONS.get(name)
        if action is None:
            raise error("action_unsupported", name)
        request_context.routed_as(f"/?Action={name}")
        app = await gateway.authenticate(request, deps)
        call = Call(deps, app, name, {})
        if action.rate is not None:  # only authenticated requests count
            await call.hit(f"action:{name}", action.rate)
        # A test's fault rule for the app (``core.faults``, matched by Action name).
        fault = await deps.faults.arrive(app.id, "zim", name)
        if fault is not None:
            raise fault_error(fault)
        call.body = await read_json(request)
        return await action.handler(call)
    except ZimError as exc:
        return _failed(action, exc)
    except ChatpinsError as exc:
        if isinstance(exc, RateLimited):  # the per-chat message rate (660300006)
            request_context.rate_limited()
        return _failed(action, from_core(exc))
    except Exception:
        log.exception("zim_internal_error", action=name)
        return _failed(action, error("internal_error"))


def _refuse(scope: Scope, problem: Unreadable) -> Response:
    """A request the intake will not read, answered like a bad body of its action."""
    action = ACTIONS.get(Request(scope).query_params.get("Action", ""))
    return _failed(action, unreadable(problem))


def _failed(action: Action | None, exc: ZimError) -> Response:
    lists: dict[str, list[Any]] = {name: [] for name in action.lists} if action is not None else {}
    exc.fields = {**lists, **exc.fields}
    return error_reply(exc)


class _EveryMethod:
    """``handle`` as a plain ASGI app: Starlette checks the method only of a function endpoint
    (and then answers any method outside its list with a plain-text 405), so this one is
    routed whatever the method."""

    def __init__(self) -> None:
        self._app = request_response(handle)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def dialect(deps: Deps) -> DialectApp:
    """ZIM's server API: ``/`` itself."""
    return DialectApp(
        build_zim_app(deps),
        root=True,
        name="zim",
        openapi=functools.partial(openapi.document, ACTIONS),
    )


def build_zim_app(deps: Deps) -> ASGIApp:
    # No error handlers: ``handle`` answers every outcome itself (HTTP 200 JSON).
    return build_app([Route("/", _EveryMethod())], deps, errors={}, refuse=_refuse)
