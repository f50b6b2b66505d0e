"""Hostile request material, generated as raw bytes.

`json.dumps` cannot write most of what an attacker sends — repeated keys, lone surrogates,
invalid UTF-8, integers past int64, `1e400`, 10,000 levels of nesting — so every JSON value here
is a `Fragment`: the exact bytes that go on the wire plus a short label. Hypothesis prints the
label, never the bytes, so a failing 10,000-deep case reads `deep(list×10000, 0)` in the report.

Depths are drawn from 1..10,000 with most weight on 30..2,000, where recursion limits and
"reasonable" caps sit. Everything a fuzz case sends stays under 1 MiB; the size cap has its own
tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# Generated bodies stay well under the 1 MiB cap every route shares.
MAX_FUZZ_BYTES = 400_000
MAX_DEPTH = 10_000
LABEL_LIMIT = 160


@dataclass(frozen=True)
class Fragment:
    """A JSON text (or something pretending to be one) exactly as it is sent."""

    data: bytes
    label: str

    def __repr__(self) -> str:
        return self.label

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints dataclasses field by field; a 10,000-deep body must print as its label.
        printer.text(repr(self))


@dataclass(frozen=True)
class Payload:
    """A request body with the Content-Type it is sent with (None: no header at all)."""

    content: bytes
    content_type: str | None
    label: str

    def __repr__(self) -> str:
        return f"Payload({self.label}, ct={self.content_type!r}, {len(self.content)} B)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + "…"


def plain(value: Any) -> Fragment:
    """A well-formed JSON value (UTF-8, non-ASCII kept as is, as the vendors' SDKs send it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Fragment(text.encode(), _short(text))


def obj(pairs: Sequence[tuple[str | Fragment, Fragment]]) -> Fragment:
    """An object from (key, value) pairs in order; a key may repeat."""
    items = [(k if isinstance(k, Fragment) else plain(k), v) for k, v in pairs]
    data = b"{" + b",".join(k.data + b":" + v.data for k, v in items) + b"}"
    label = "{" + ", ".join(f"{k.label}: {v.label}" for k, v in items) + "}"
    return Fragment(data, _short(label))


def arr(items: Sequence[Fragment]) -> Fragment:
    data = b"[" + b",".join(i.data for i in items) + b"]"
    return Fragment(data, _short("[" + ", ".join(i.label for i in items) + "]"))


# ----------------------------------------------------------------------------- strings

# Pieces of a JSON string's inside, as bytes: escapes json.dumps never writes, and raw bytes
# that are not UTF-8 at all. Labels name them so a report says which one broke.
STRING_PIECES: list[tuple[bytes, str]] = [
    (rb"\ud800", "lone-high-surrogate"),
    (rb"\udfff", "lone-low-surrogate"),
    (rb"\udc00\ud800", "reversed-surrogate-pair"),
    (rb"\ud83d", "high-surrogate-at-end"),
    (rb"\ud83d\ude00", "valid-surrogate-pair"),
    (rb"\u0000", "escaped-NUL"),
    (rb"a\u0000b", "escaped-NUL-inside"),
    (b"\x00", "raw-NUL-byte"),
    (b"\x01\x1f", "raw-control-bytes"),
    (b"\xff", "invalid-utf8-ff"),
    (b"\xc3", "truncated-utf8"),
    (b"\xc0\x80", "overlong-NUL-utf8"),
    (b"\xed\xa0\x80", "surrogate-as-utf8"),
    (b"\xf4\x90\x80\x80", "beyond-U+10FFFF-utf8"),
    (rb"\uffff", "noncharacter-FFFF"),
    (rb"\ufeff", "escaped-BOM"),
    ("\u202e\u200d".encode(), "rtl-override-zwj"),
    (rb"\"\\", "escaped-quote-backslash"),
    (rb"\x41", "invalid-escape"),
    (rb"\u12", "short-unicode-escape"),
    (b"\n", "raw-newline"),
    ("中文🙂".encode(), "cjk-emoji"),
]

string_piece = st.sampled_from(STRING_PIECES)
safe_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"\\'), max_size=12)


@st.composite
def hostile_string(draw: st.DrawFn) -> Fragment:
    """A JSON string holding 0-3 hostile pieces between ordinary text, sometimes very long."""
    parts: list[bytes] = []
    labels: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        text = draw(safe_text)
        piece, name = draw(string_piece)
        parts += [json.dumps(text, ensure_ascii=False)[1:-1].encode(), piece]
        labels.append(name)
    inner = b"".join(parts) or json.dumps(draw(safe_text), ensure_ascii=False)[1:-1].encode()
    inner = inner or b"x"
    if draw(st.integers(0, 9)) == 0:
        # Long text: one unit repeated, kept under the fuzz size budget.
        repeat = draw(st.sampled_from([255, 256, 257, 1024, 2049, 65_536, 150_000]))
        repeat = min(repeat, MAX_FUZZ_BYTES // max(len(inner), 1))
        inner *= max(repeat, 1)
        labels.append(f"×{repeat}")
    return Fragment(b'"' + inner + b'"', "str(" + ("+".join(labels) or "plain") + ")")


# ----------------------------------------------------------------------------- numbers

NUMBER_LITERALS: list[bytes] = [
    b"0",
    b"-0",
    b"1",
    b"-1",
    b"2147483647",
    b"2147483648",
    b"-2147483649",
    b"4294967296",
    b"9007199254740993",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551616",
    str(10**30).encode(),
    str(-(10**30)).encode(),
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"1.0",
    b"1.5",
    b"1E2",
    b"-0.0",
    b"123456789012345678901234567890.5",
    b"9" * 5000,  # past Python's 4,300-digit int conversion limit
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"01",
    b"+1",
    b"0x10",
]

huge_integers = st.integers(min_value=2**63, max_value=10**40) | st.integers(
    min_value=-(10**40), max_value=-(2**63) - 1
)


def _number_label(data: bytes) -> str:
    return data.decode() if len(data) <= 40 else f"{data[:8].decode()}…({len(data)} digits)"


number = st.one_of(
    st.sampled_from(NUMBER_LITERALS),
    huge_integers.map(lambda n: str(n).encode()),
    st.integers().map(lambda n: str(n).encode()),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: repr(f).encode()),
).map(lambda data: Fragment(data, _number_label(data)))

literal = st.sampled_from([b"true", b"false", b"null"]).map(lambda d: Fragment(d, d.decode()))
scalar = st.one_of(hostile_string(), number, literal)

# ----------------------------------------------------------------------------- nesting

depths = st.one_of(
    st.sampled_from([31, 32, 33, 64, 100, 128, 256, 500, 512, 950, 999, 1000, 1001, 2000]),
    st.sampled_from([5000, 9999, MAX_DEPTH]),
    st.integers(1, 29),
    st.integers(30, 2000),
    st.integers(30, 2000),
    st.integers(2001, MAX_DEPTH),
)
SHAPES = ["list", "object", "mixed", "unclosed"]


def deep(depth: int, shape: str, leaf: Fragment | None = None) -> Fragment:
    """`depth` containers around `leaf`: lists, objects, both alternating, or never closed."""
    inner = leaf or Fragment(b"0", "0")
    if shape == "list":
        opening, closing = b"[" * depth, b"]" * depth
    elif shape == "object":
        opening, closing = b'{"a":' * depth, b"}" * depth
    elif shape == "mixed":
        pair = b'[{"a":'
        opening = pair * (depth // 2) + (b"[" if depth % 2 else b"")
        closing = (b"]" if depth % 2 else b"") + b"}]" * (depth // 2)
    elif shape == "unclosed":
        opening, closing = b"[" * depth, b""
    else:
        raise ValueError(shape)
    return Fragment(opening + inner.data + closing, f"deep({shape}×{depth}, {inner.label})")


@st.composite
def deep_value(draw: st.DrawFn, shapes: Sequence[str] = SHAPES) -> Fragment:
    leaf = draw(st.one_of(literal, number, hostile_string(), st.just(plain({}))))
    return deep(draw(depths), draw(st.sampled_from(list(shapes))), leaf)


# ----------------------------------------------------------------------------- any JSON


def _containers(children: st.SearchStrategy[Fragment]) -> st.SearchStrategy[Fragment]:
    keys = st.one_of(
        st.sampled_from(["a", "", "__proto__", "constructor", "$where", "_id", "id"]),
        hostile_string(),
    )
    return st.one_of(
        st.lists(children, max_size=4).map(arr),
        st.lists(st.tuples(keys, children), max_size=4).map(obj),
    )


json_value = st.recursive(scalar, _containers, max_leaves=6)
# Any JSON-ish value: a scalar, a small structure, or a deep one.
any_value = st.one_of(scalar, json_value, deep_value())


@dataclass(frozen=True)
class Only:
    """A field whose values come from `values` alone (e.g. a webhook URL, which must never
    name a host but loopback)."""

    values: st.SearchStrategy[Fragment]


@st.composite
def field_value(draw: st.DrawFn, valid: st.SearchStrategy[Any] | Only | None = None) -> Fragment:
    """What a client could put in one field: a valid value (sometimes), a wrong type, hostile
    text, a huge number or a deep structure."""
    if isinstance(valid, Only):
        return draw(valid.values)
    choices: list[st.SearchStrategy[Fragment]] = [scalar, json_value, deep_value()]
    if valid is not None:
        # A valid value is plain JSON, or already a Fragment (a nested hostile object).
        as_fragment = valid.map(lambda v: v if isinstance(v, Fragment) else plain(v))
        choices += [as_fragment, as_fragment]
    return draw(st.one_of(choices))


@st.composite
def object_body(
    draw: st.DrawFn, fields: Mapping[str, st.SearchStrategy[Any] | Only | None]
) -> Fragment:
    """An object with some of the endpoint's fields (valid, wrong-typed or hostile), maybe a
    field twice (`{"a":1,"a":2}`), maybe an unknown one."""
    names = sorted(fields)
    chosen = draw(st.lists(st.sampled_from(names), max_size=len(names) + 1)) if names else []
    pairs: list[tuple[str | Fragment, Fragment]] = [
        (name, draw(field_value(fields[name]))) for name in chosen
    ]
    if draw(st.booleans()):
        pairs.append((draw(hostile_string()), draw(scalar)))
    return obj(pairs)


def bodies(
    fields: Mapping[str, st.SearchStrategy[Any] | Only | None],
) -> st.SearchStrategy[Fragment]:
    """Bodies for an endpoint that reads `fields`: mostly objects, sometimes not an object."""
    return st.one_of(object_body(fields), object_body(fields), object_body(fields), any_value)


def loopback_url(port: int = 1) -> st.SearchStrategy[Fragment]:
    """URL values that can only reach a closed loopback port, hostile in their path, or not
    strings at all: a fuzzed webhook must never send traffic anywhere else."""
    prefix = f"http://127.0.0.1:{port}/".encode()
    as_url = hostile_string().map(
        lambda f: Fragment(b'"' + prefix + f.data[1:], f"url(127.0.0.1:{port}/{f.label})")
    )
    return st.one_of(as_url, as_url, number, literal, deep_value())


# ----------------------------------------------------------------------------- payloads

CONTENT_TYPES: list[str | None] = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "application/octet-stream",
    "application/json;;;",
    "*/*",
]
JSON_CONTENT_TYPES = ["application/json", "application/json; charset=utf-8"]

GARBAGE: list[tuple[bytes, str]] = [
    (b"", "empty"),
    (b"   \n", "whitespace"),
    (b"{", "truncated-object"),
    (b'{"a":', "truncated-value"),
    (b"{'a': 1}", "single-quotes"),
    (b'{"a":1,}', "trailing-comma"),
    (b"\xef\xbb\xbf{}", "utf8-bom-object"),
    ('{"a":"b"}'.encode("utf-16"), "utf16-object"),
    (b"\x00\x00\x00", "NUL-bytes"),
    (b"\xff\xfe\xfd", "binary"),
    (b"a=1&b=%ED%A0%80&c", "form-urlencoded"),
    (b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff', "multipart-unclosed"),
    (b"--xyz--\r\n", "multipart-empty"),
    (b"--zzz\r\n\r\n--zzz", "multipart-wrong-boundary"),
    (b"[]" * 2, "two-values"),
    (b"null", "null"),
    (b'"just a string"', "string"),
]


def payloads(content: st.SearchStrategy[Fragment]) -> st.SearchStrategy[Payload]:
    """`content` with a JSON Content-Type, with a hostile Content-Type, or garbage bytes."""
    as_json = st.tuples(content, st.sampled_from(JSON_CONTENT_TYPES)).map(
        lambda p: Payload(p[0].data, p[1], p[0].label)
    )
    any_type = st.tuples(content, st.sampled_from(CONTENT_TYPES)).map(
        lambda p: Payload(p[0].data, p[1], p[0].label)
    )
    garbage = st.tuples(st.sampled_from(GARBAGE), st.sampled_from(CONTENT_TYPES)).map(
        lambda p: Payload(p[0][0], p[1], "garbage:" + p[0][1])
    )
    return st.one_of(as_json, as_json, as_json, any_type, garbage)


# ----------------------------------------------------------------------------- query and path

HOSTILE_QUERY_VALUES = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%ED%B0%80",
    "%FF",
    "%C0%80",
    "%E2%80%AE",
    "%",
    "%zz",
    "",
    "-1",
    "0",
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    str(-(2**63) - 1),
    str(10**30),
    "1e400",
    "1.5",
    "NaN",
    "Infinity",
    "true",
    "0x10",
    "a" * 10_000,
    "9" * 5000,
]


def query_value(valid: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    options: list[st.SearchStrategy[str]] = [
        st.sampled_from(HOSTILE_QUERY_VALUES),
        huge_integers.map(str),
        st.integers().map(str),
    ]
    if valid is not None:
        options += [valid, valid]
    return st.one_of(options)


@st.composite
def query_string(draw: st.DrawFn, params: Mapping[str, st.SearchStrategy[str] | None]) -> str:
    """A raw query string (already percent-encoded as sent): some of `params` with valid or
    hostile values, a parameter repeated now and then, an unknown one now and then."""
    names = sorted(params)
    chosen = draw(st.lists(st.sampled_from(names), max_size=len(names) + 1)) if names else []
    if draw(st.integers(0, 4)) == 0:
        chosen.append(draw(st.sampled_from(["%00", "x", "%ED%A0%80", "a" * 300])))
    items = [f"{name}={draw(query_value(params.get(name)))}" for name in chosen]
    return "&".join(items)


HOSTILE_IDS = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%ED%A0%80%ED%B0%80",
    "%FF",
    "%C0%80",
    "%E2%80%AE",
    "%2F",
    "%2E%2E",
    "%20",
    "%25",
    "%zz",
    "%E4%BD%A0%E5%A5%BD",
    "x" * 10_000,
    "x" * 129,
    "x" * 33,
    str(2**63),
    "-1",
    "null",
]


def path_id(valid: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """A path segment as sent (percent-encoded where needed): valid, or hostile."""
    options: list[st.SearchStrategy[str]] = [st.sampled_from(HOSTILE_IDS)]
    if valid is not None:
        options.append(valid)
    return st.one_of(options)


# ----------------------------------------------------------------------------- regressions

# "Any body nested 1,000+ deep" (the freeze and 500s), with the boundary values pinned.
deep_bodies = st.builds(
    deep,
    st.one_of(st.integers(1000, MAX_DEPTH), st.sampled_from([1000, 1001, 5000, MAX_DEPTH])),
    st.sampled_from(["list", "object", "mixed"]),
    st.one_of(literal, number, st.just(plain({"message_id": "om_x"}))),
)
lone_surrogates = st.sampled_from(
    [rb"\ud800", rb"\udfff", rb"\udc00\ud800", rb"x\ud83d", rb"\ud800\u0000"]
)


def embedded(inner: Fragment) -> Fragment:
    """`inner` as the text of a JSON string: how Feishu carries message `content`, JSON inside a
    JSON string. An escape in `inner` (`\\ud800`) stays an escape for the inner parse."""
    out = bytearray(b'"')
    for byte in inner.data:
        if byte in (0x22, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte < 0x20:
            out += b"\\u%04x" % byte
        else:
            out.append(byte)
    out += b'"'
    return Fragment(bytes(out), f"json-in-string({inner.label})")


@st.composite
def feishu_content(draw: st.DrawFn) -> Fragment:
    """A message `content`: hostile as a string itself, or a string whose inner JSON is hostile
    (a lone surrogate escape, NUL, deep nesting, repeated keys, a huge number)."""
    inner = draw(
        st.one_of(
            st.builds(lambda s: obj([("text", s)]), hostile_string()),
            st.builds(lambda s: obj([("text", plain("a")), ("text", s)]), hostile_string()),
            st.builds(lambda d: obj([("text", d)]), deep_value()),
            deep_value(),
            json_value,
        )
    )
    return draw(st.one_of(st.just(embedded(inner)), st.just(embedded(inner)), hostile_string()))
