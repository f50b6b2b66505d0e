"""The webhook address policy: which targets each mode refuses, in every spelling a resolver
accepts, judged against the IANA special-purpose ranges written out here (not ``ipaddress``)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatpins.core.errors import InvalidArgument
from chatpins.delivery.targets import (
    TargetPolicy,
    TargetRefused,
    guarded_client,
    literal_address,
)
from chatpins.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

PRODUCTION = TargetPolicy()
LOCAL = TargetPolicy(allow_loopback=True)
LAN = TargetPolicy(allow_private=True, allow_loopback=True)

LOOPBACK = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128")]
# Refused unless private targets are allowed.
PRIVATE = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local, the cloud metadata service at 169.254.169.254
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
    )
]
# Refused always: no HTTP request can sensibly go there.
NEVER = [
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "::/128", "ff00::/8")
]
# Every other special-purpose IPv4 range (documentation, benchmarking, protocol assignments):
# random "public" addresses avoid them, whatever the policy decides for them.
OTHER_SPECIAL = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
    )
]


def addresses_in(network: Net) -> st.SearchStrategy[IPAddress]:
    first, last = int(network.network_address), int(network.broadcast_address)
    cls = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
    return st.integers(first, last).map(cls)


def any_address_in(networks: list[Net]) -> st.SearchStrategy[IPAddress]:
    return st.sampled_from(networks).flatmap(addresses_in)


def _public_v4() -> st.SearchStrategy[ipaddress.IPv4Address]:
    special = LOOPBACK + PRIVATE + NEVER + OTHER_SPECIAL
    return (
        st.integers(0, 2**32 - 1)
        .map(ipaddress.IPv4Address)
        .filter(lambda a: not any(a in n for n in special if n.version == 4))
    )


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The ways to write an IPv4 address that resolvers (inet_aton) read as that address."""
    n, parts = int(address), address.packed
    a, b, c, d = parts
    return [
        str(address),
        str(n),  # 2130706433
        hex(n),  # 0x7f000001
        "0" + format(n, "o"),  # 017700000001
        ".".join(hex(p) for p in parts),  # 0x7f.0x0.0x0.0x1
        ".".join("0" + format(p, "o") for p in parts),  # 0177.00.00.01
        f"{a}.{b}.{(c << 8) | d}",  # 127.0.1
        f"{a}.{(b << 16) | (c << 8) | d}",  # 127.1
        f"{hex(a)}.{(b << 16) | (c << 8) | d}",  # 0x7f.1
    ]


def _resolver_reads(spelling: str) -> str:
    """What the system resolver makes of a numeric host: the oracle for ``literal_address``."""
    found = socket.getaddrinfo(spelling, 80, flags=socket.AI_NUMERICHOST, type=socket.SOCK_STREAM)
    return str(found[0][4][0])


def _refuses(policy: TargetPolicy, address: IPAddress) -> bool:
    return policy.refusal(address, 443) is not None


# ----------------------------------------------------------------------- the ranges, per mode


@given(any_address_in(PRIVATE))
def test_private_link_local_ula_and_cgnat_are_refused_unless_allowed(address: IPAddress) -> None:
    assert _refuses(PRODUCTION, address)
    assert _refuses(LOCAL, address)
    assert not _refuses(LAN, address)


@given(any_address_in(LOOPBACK))
def test_loopback_is_allowed_in_local_mode_only(address: IPAddress) -> None:
    assert _refuses(PRODUCTION, address)
    assert not _refuses(LOCAL, address)
    assert not _refuses(LAN, address)


@given(any_address_in(NEVER))
def test_unspecified_multicast_and_reserved_are_refused_in_every_mode(address: IPAddress) -> None:
    for policy in (PRODUCTION, LOCAL, LAN):
        assert _refuses(policy, address)


def test_the_metadata_service_and_the_any_addresses_are_refused() -> None:
    for text in ("169.254.169.254", "0.0.0.0", "::", "fd00:ec2::254", "255.255.255.255"):
        assert _refuses(PRODUCTION, ipaddress.ip_address(text)), text
        assert _refuses(LOCAL, ipaddress.ip_address(text)), text


@given(_public_v4())
def test_public_addresses_are_allowed_in_every_mode(address: ipaddress.IPv4Address) -> None:
    for policy in (PRODUCTION, LOCAL, LAN):
        assert not _refuses(policy, address)
        assert not _refuses(policy, ipaddress.IPv6Address(f"64:ff9b::{address}"))  # NAT64


# Global unicast 2003:: to 3ffe:ffff:...: past Teredo, documentation (2001::/16) and 6to4.
@given(st.integers(0x2003 << 112, (0x3FFE << 112) | (2**112 - 1)).map(ipaddress.IPv6Address))
def test_global_unicast_ipv6_is_allowed(address: ipaddress.IPv6Address) -> None:
    for policy in (PRODUCTION, LOCAL, LAN):
        assert not _refuses(policy, address)


@given(any_address_in(PRIVATE + LOOPBACK + NEVER).filter(lambda a: a.version == 4))
def test_ipv4_mapped_and_6to4_addresses_are_judged_by_their_ipv4(
    address: ipaddress.IPv4Address,
) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    for policy in (PRODUCTION, LOCAL, LAN):
        assert _refuses(policy, mapped) == _refuses(policy, address)
        assert _refuses(policy, sixtofour) == _refuses(policy, address)


# ----------------------------------------------------------------------- spellings of an address


@given(any_address_in(PRIVATE + LOOPBACK + NEVER).filter(lambda a: a.version == 4), st.data())
def test_every_spelling_of_a_refused_ipv4_is_read_as_the_resolver_reads_it(
    address: ipaddress.IPv4Address, data: st.DataObject
) -> None:
    spelling = data.draw(st.sampled_from(spellings(address)))
    assert _resolver_reads(spelling) == str(address)
    assert literal_address(spelling) == address
    with pytest.raises(InvalidArgument) as refused:
        PRODUCTION.check_url(f"http://{spelling}:8000/hook")
    assert refused.value.reason == "webhook_target_refused"


@given(any_address_in(PRIVATE + NEVER), st.sampled_from(["http", "https"]))
def test_registration_refuses_a_literal_refused_address_in_local_mode(
    address: IPAddress, scheme: str
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    with pytest.raises(InvalidArgument) as refused:
        LOCAL.check_url(f"{scheme}://{host}/hook")
    assert refused.value.reason == "webhook_target_refused"


@given(any_address_in(PRIVATE).filter(lambda a: a.version == 4))
def test_registration_refuses_ipv4_mapped_spellings(address: ipaddress.IPv4Address) -> None:
    high, low = int(address) >> 16, int(address) & 0xFFFF
    for host in (f"[::ffff:{address}]", f"[::ffff:{high:x}:{low:x}]"):
        with pytest.raises(InvalidArgument):
            LOCAL.check_url(f"http://{host}/hook")


def test_names_pass_registration_and_are_judged_when_delivered() -> None:
    for url in ("http://localhost:9/x", "https://example.com/x", "http://10.0.0.1.nip.io/"):
        PRODUCTION.check_url(url)
    LOCAL.check_url("http://127.0.0.1:9/x")
    with pytest.raises(InvalidArgument) as bad_port:
        LOCAL.check_url("http://10.0.0.1:99999/x")
    assert bad_port.value.reason == "invalid_webhook_url"


def test_full_width_digits_are_read_as_ascii() -> None:
    assert literal_address("１２７。０。０。１") == ipaddress.IPv4Address("127.0.0.1")
    with pytest.raises(InvalidArgument):
        PRODUCTION.check_url("http://１０。０。０。１/x")


# ----------------------------------------------------------------------- the server itself


@pytest.mark.parametrize("listen", ["127.0.0.1", "0.0.0.0", "localhost", "::"])
def test_the_servers_own_address_and_port_are_never_a_target(listen: str) -> None:
    policy = TargetPolicy(
        allow_loopback=True, allow_private=True, listen_host=listen, listen_port=8080
    )
    for spelling in ("127.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "0x7f.1"):
        with pytest.raises(InvalidArgument):
            policy.check_url(f"http://{spelling}:8080/v1/apps")
        policy.check_url(f"http://{spelling}:8081/hook")  # another port: a local receiver


def test_a_server_on_every_interface_refuses_its_own_interface_addresses() -> None:
    policy = TargetPolicy(
        allow_private=True, allow_loopback=True, listen_host="0.0.0.0", listen_port=8080
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: picks the outgoing address, sends nothing
        except OSError:
            pytest.skip("no IPv4 route on this machine")
        own = ipaddress.ip_address(probe.getsockname()[0])
    assert policy.refusal(own, 8080) == "this server"
    assert policy.refusal(own, 8081) is None
    assert policy.refusal(ipaddress.ip_address("192.0.2.1"), 8080) is None  # not ours


# ----------------------------------------------------------------------- the setting


@pytest.mark.parametrize(
    ("database_url", "setting", "loopback", "private"),
    [
        ("sqlite+aiosqlite:///./x.db", None, True, False),  # local mode
        ("postgresql+asyncpg://u:p@db/x", None, False, False),  # production mode
        ("sqlite+aiosqlite:///./x.db", False, False, False),
        ("postgresql+asyncpg://u:p@db/x", True, True, True),
    ],
)
def test_the_default_follows_the_mode_and_the_setting_overrides_it(
    database_url: str, setting: bool | None, loopback: bool, private: bool
) -> None:
    settings = Settings(database_url=database_url, webhook_allow_private=setting, port=9000)
    policy = TargetPolicy.from_settings(settings)
    assert (policy.allow_loopback, policy.allow_private) == (loopback, private)
    assert policy.listen_port == 9000


def test_the_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATPINS_WEBHOOK_ALLOW_PRIVATE", "false")
    assert Settings().webhook_allow_private is False
    monkeypatch.setenv("CHATPINS_WEBHOOK_ALLOW_PRIVATE", "true")
    assert Settings().webhook_allow_private is True


# ----------------------------------------------------------------------- at delivery


async def test_a_name_is_resolved_and_every_answer_checked() -> None:
    with pytest.raises(TargetRefused, match="localhost resolves to a loopback address"):
        await PRODUCTION.resolve("localhost", 80)
    found = await LOCAL.resolve("localhost", 80)
    assert found and all(ipaddress.ip_address(a).is_loopback for a in found)
    with pytest.raises(TargetRefused, match="2130706433 is a loopback address"):
        await PRODUCTION.resolve("2130706433", 80)


async def test_the_guarded_client_refuses_before_connecting() -> None:
    with socket.socket() as listener:  # a port that would accept, if anything connected
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        async with guarded_client(PRODUCTION) as http:
            for host in ("localhost", "127.0.0.1", "0x7f.1", "[::ffff:127.0.0.1]"):
                with pytest.raises(TargetRefused):
                    await http.post(f"http://{host}:{port}/x", content=b"{}")
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
