"""Where webhooks may be delivered: the address policy that keeps them from reaching inside.

A webhook URL is chosen by whoever holds the admin key, but the POST leaves from the server, so
an unchecked URL reaches what only the server can reach: the cloud metadata service
(169.254.169.254), databases and admin ports on private ranges, the server's own API. The policy
(``CHATPINS_WEBHOOK_ALLOW_PRIVATE``, see ``Settings.webhook_allow_private``):

- public unicast addresses are always allowed;
- loopback (127.0.0.0/8, ::1) only in local mode or when private targets are allowed;
- every other non-public range (10/8, 172.16/12, 192.168/16, 100.64/10, link-local 169.254/16
  and fe80::/10, ULA fc00::/7, documentation and benchmark ranges, ...) only when private
  targets are allowed;
- never: the unspecified address (0.0.0.0/8, ::), multicast, 240.0.0.0/4 (broadcast
  included), and the server's own listen address and port.

IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible,
6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) are judged by that IPv4 address.

Checked twice. At registration a host written as an address (in any spelling the resolver
accepts: ``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``) is refused at once; a name
cannot be judged then, since what it resolves to may change. At every delivery the name is
resolved, every address it resolves to must pass, and the connection goes to a checked
address: the resolution happens inside the connection pool's network backend (``connect_tcp``),
so there is no second lookup that a rebinding DNS server could answer differently, while the
URL, the Host header, TLS SNI and certificate checks keep the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatpins.core.errors import InvalidArgument, Reason

if TYPE_CHECKING:
    import httpcore
    import httpx

    from chatpins.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED = "target address refused"

# Ranges no HTTP request can sensibly go to, whatever the setting ("this network" and the
# reserved block with the broadcast address).
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_RESERVED_V4 = ipaddress.IPv4Network("240.0.0.0/4")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")
# What the resolver (glibc's inet_aton) reads as an IPv4 address: one to four parts, each
# decimal, octal (leading 0) or hex (0x). Anything else is a name.
_NUMERIC_V4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)


class TargetRefused(Exception):
    """A webhook target the policy refuses; nothing was sent to it."""


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names by itself, read the way the resolver reads it; None for a
    name (which only resolution can judge)."""
    host = host.strip("[]")
    try:
        # IDNA folds full-width digits and dots (``１２７。０。０。１``) as httpx does.
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_V4.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:  # e.g. a part out of range: not an address, and no resolver takes it
        return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPAT and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> str | None:
    """The refused kind of an address (``loopback``, ``private``, ``unspecified``, ...), or
    None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return classify(embedded)
    if address.is_unspecified:
        return "unspecified"
    if isinstance(address, ipaddress.IPv4Address):
        if address in _THIS_NETWORK:
            return "unspecified"
        if address in _RESERVED_V4:
            return "reserved"
    if address.is_multicast:
        return "multicast"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "private"  # fec0::/10: deprecated, but some networks still route it
    if not address.is_global or address.is_reserved:
        return "private"
    return None


_NEVER = frozenset({"unspecified", "reserved", "multicast"})


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses webhooks may reach. The default refuses every non-public address."""

    allow_loopback: bool = False
    allow_private: bool = False
    # The server's own listen address and port: never a target (a webhook posting into the
    # server's own API). An unspecified listen host (0.0.0.0, ::) means every local address.
    listen_host: str = ""
    listen_port: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TargetPolicy:
        allow = settings.webhook_allow_private
        return cls(
            # By mode: local reaches loopback receivers, production reaches none.
            allow_loopback=settings.is_local if allow is None else allow,
            allow_private=bool(allow),
            listen_host=settings.host,
            listen_port=settings.port,
        )

    def refusal(self, address: IPAddress, port: int) -> str | None:
        """Why ``address:port`` may not be a target, or None if it may."""
        if self._is_self(address, port):
            return "this server"
        kind = classify(address)
        if kind is None:
            return None
        if kind in _NEVER:
            return f"a {kind} address"
        if self.allow_private or (kind == "loopback" and self.allow_loopback):
            return None
        return f"a {kind} address"

    def _is_self(self, address: IPAddress, port: int) -> bool:
        if self.listen_port is None or port != self.listen_port:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        listen = literal_address(self.listen_host)
        if listen is None:  # a name such as ``localhost``
            return address.is_loopback
        if listen.is_unspecified:
            return address.is_loopback or _is_local(address)
        return address == listen

    def check_url(self, url: str) -> None:
        """At registration: refuse a URL whose host is a refused address. Names pass here and
        are judged at every delivery."""
        parts = urlsplit(url)
        host = parts.hostname
        address = literal_address(host) if host else None
        if address is None:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise InvalidArgument(Reason.INVALID_WEBHOOK_URL, "the port is 0-65535") from exc
        why = self.refusal(address, port)
        if why is not None:
            raise InvalidArgument(Reason.WEBHOOK_TARGET_REFUSED, f"{REFUSED}: {host} is {why}")

    async def resolve(self, host: str, port: int) -> list[str]:
        """At delivery: the addresses ``host`` resolves to, all of them allowed, or
        ``TargetRefused``. A name whose answers mix allowed and refused addresses is refused."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for text in found:
            why = self.refusal(ipaddress.ip_address(text), port)
            if why is not None:
                what = "is" if literal_address(host) is not None else "resolves to"
                raise TargetRefused(f"{REFUSED}: {host} {what} {why}")
        return found


def _is_local(address: IPAddress) -> bool:
    """Whether the address is one of this machine's own: only those can be bound to."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------- the guarded HTTP client


def _guarded_backend(policy: TargetPolicy) -> httpcore.AsyncNetworkBackend:
    import httpcore

    class GuardedBackend(httpcore.AsyncNetworkBackend):
        """Connects only to checked addresses: resolves the host itself, checks every answer,
        then connects to one of those very addresses (no second lookup)."""

        def __init__(self) -> None:
            self._net = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            try:
                async with asyncio.timeout(timeout):
                    addresses = await policy.resolve(host, port)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
            except OSError as exc:  # socket.gaierror: no such name
                raise httpcore.ConnectError(f"{host}: {exc}") from exc
            failure: Exception = httpcore.ConnectError(f"{host}: no address")
            for address in addresses:
                try:
                    return await self._net.connect_tcp(
                        address, port, timeout, local_address, socket_options
                    )
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    failure = exc
            raise failure

        async def connect_unix_socket(
            self,
            path: str,
            timeout: float | None = None,  # noqa: ASYNC109
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            raise TargetRefused(f"{REFUSED}: a unix socket")

        async def sleep(self, seconds: float) -> None:
            await self._net.sleep(seconds)

    return GuardedBackend()


def guarded_client(policy: TargetPolicy, **options: Any) -> httpx.AsyncClient:
    """An httpx client that reaches only what ``policy`` allows and follows no redirect (a
    redirect could point anywhere; a 3xx is the receiver's answer). Proxy variables from the
    environment are ignored: through a proxy the address check would see only the proxy."""
    import httpcore
    import httpx

    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend, its connection pool does: swap in a pool with httpx's
    # default limits that connects through the guard. ``_pool`` is what the transport sends
    # through (httpx 0.23-0.28); the e2e test of a refused name fails if that ever changes.
    assert isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_guarded_backend(policy),
    )
    return httpx.AsyncClient(
        transport=transport, follow_redirects=False, trust_env=False, **options
    )
