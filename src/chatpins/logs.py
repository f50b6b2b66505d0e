"""Logging for ``chatpins serve``: structlog (our own lines) and the stdlib loggers of uvicorn
(access log, errors) and of the libraries, configured in one place.

Two formats (``log_format``; unset: ``json`` in production mode, ``console`` in local mode):

- ``console``, for a person: structlog's console lines and uvicorn's own layout, its access
  line for each request included.
- ``json``, for a log shipper: one JSON object per line, every line (uvicorn's and the
  libraries' too). Each HTTP request gets one line, ``"event": "request"``, written by
  ``api.metrics.MetricsMiddleware`` with its id, app, dialect, route template, status and
  time (docs/operations.md). uvicorn's access logger then has no handler: its line would say
  the same thing a second time without those fields (and uvicorn skips formatting it when
  nothing would print it).

Lines written while a request is served carry its ``request_id``.

Two rules hold for every line:

- **No credentials.** Query parameters that carry one (``?access_token=`` is the documented
  WebSocket option; ZIM signs with ``Signature``/``SignatureNonce``), the credential headers
  (``Authorization``, ``IM-API-KEY``, ``IM-Authorization``: the websockets library logs
  handshakes at debug level), ``Bearer`` values, admin keys and the configured admin key are
  replaced by ``***``.
- **No locals, no bodies, bounded tracebacks.** structlog's default console renderer formats
  exceptions with rich and ``show_locals``: one RecursionError on a deeply nested body once
  wrote hundreds of MB of log. Exceptions here are plain Python tracebacks (repeated frames
  folded, as the traceback module does), redacted and cut to ``MAX_TRACEBACK_CHARS``; values
  that are not plain scalars are logged as a bounded ``reprlib`` summary.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import reprlib
import sys
import traceback
from collections.abc import Callable, Iterable, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

import structlog
from structlog.typing import ExcInfo, Processor

if TYPE_CHECKING:
    from chatpins.settings import Settings

LogFormat = Literal["console", "json"]
REDACTED = "***"
# Query parameters whose value is a credential (matched case-insensitively).
SECRET_PARAMS = (
    "access_token",
    "token",
    "api_key",
    "key",
    "signature",
    "signaturenonce",
    "app_secret",
    "secret",
)
SECRET_HEADERS = ("authorization", "im-api-key", "im-authorization")
MAX_TRACEBACK_CHARS = 20_000

_VALUE = r"[^\s\"',;}&]+"
_QUERY = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&;\s\"'#]*")
# ``Authorization: Bearer x``, ``'im-api-key': 'x'``, ``(b'authorization', b'Bearer x')``.
_HEADER = re.compile(
    r"(?i)\b(" + "|".join(SECRET_HEADERS) + r")"
    r"([\"']?\s*[:=]\s*(?:b(?=[\"']))?[\"']?|[\"']\s*,\s*(?:b(?=[\"']))?[\"'])"
    r"(?:(?:bearer|basic)\s+)?" + _VALUE
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+" + _VALUE)
# The admin key's shape when the server makes it (core.services.admin: "cpk_" + 40 hex).
_ADMIN_KEY = re.compile(r"\bcpk_[0-9a-f]{40}\b")
# Event-dict keys whose value is a credential whatever it looks like.
_SECRET_KEYS = frozenset(SECRET_PARAMS) | {h.replace("-", "_") for h in SECRET_HEADERS}
_SCALARS = (int, float, bool, type(None))  # logged as they are

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 4, 200, 200


class Redactor:
    """Replace credentials in a text with ``***``: the given secrets (the configured admin
    key) wherever they appear, and anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _QUERY.sub(r"\1" + REDACTED, text)
        text = _HEADER.sub(r"\1\2" + REDACTED, text)
        text = _BEARER.sub(r"\1 " + REDACTED, text)
        return _ADMIN_KEY.sub(REDACTED, text)


def _bounded(text: str, limit: int = MAX_TRACEBACK_CHARS) -> str:
    """At most ``limit`` characters: the start and, mostly, the end (where the innermost
    frames and the exception's message are)."""
    if len(text) <= limit:
        return text
    head, tail = limit // 4, limit - limit // 4
    return f"{text[:head]}\n... {len(text) - limit} characters left out ...\n{text[-tail:]}"


def format_traceback(redact: Redactor, exc: BaseException) -> str:
    """A plain traceback (never locals), redacted and bounded."""
    return _bounded(redact("".join(traceback.format_exception(exc))))


class RedactingFilter(logging.Filter):
    """Redacts a stdlib record in place before any handler formats it. Attached to handlers,
    not loggers: a logger's filters skip records that propagate from its children.

    The line is rendered whole and then redacted, so a credential split over arguments (the
    websockets library logs each header as ``"< %s: %s", name, value``) is still found;
    ``keep_args`` redacts argument by argument instead, for uvicorn's access formatter, which
    unpacks them (its path is one argument)."""

    def __init__(self, redact: Redactor, keep_args: bool = False) -> None:
        super().__init__()
        self._redact = redact
        self._keep_args = keep_args

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if self._keep_args and isinstance(args, tuple):
            record.msg = self._redact(str(record.msg))
            record.args = tuple(self._redact(a) if isinstance(a, str) else a for a in args)
        else:
            try:
                line = record.getMessage()
            except Exception:  # a bad format would be printed with its arguments: drop them
                line = f"{record.msg} (arguments left out: they do not fit the format)"
            record.msg, record.args = self._redact(line), None
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and not record.exc_text:
            # A formatter uses this text as it is instead of formatting exc_info itself.
            record.exc_text = format_traceback(self._redact, exc)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def _redact_event(redact: Redactor) -> Callable[..., MutableMapping[str, Any]]:
    def processor(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in event_dict.items():
            if key == "exc_info" or isinstance(value, _SCALARS):
                continue
            if key.lower().replace("-", "_") in _SECRET_KEYS:
                event_dict[key] = REDACTED
            else:
                event_dict[key] = redact(value if isinstance(value, str) else _repr.repr(value))
        return event_dict

    return processor


def log_format_of(settings: Settings) -> LogFormat:
    """The configured format; unset: JSON in production mode (a log shipper reads the lines),
    the console's in local mode (a person does)."""
    if settings.log_format is not None:
        return settings.log_format
    return "console" if settings.is_local else "json"


def configure_logging(
    level: str,
    *,
    fmt: LogFormat = "console",
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the stdlib loggers (uvicorn's, the libraries') for the server.

    Run uvicorn with ``log_config=None`` after this: given a config (its default included),
    uvicorn applies it with ``dictConfig`` when it builds its ``Config``, replacing the
    handlers set here and the redacting filters on them; with None it only sets its loggers'
    levels. ``stream`` sends every line to one place (tests); by default uvicorn's split
    holds (access log on stdout, the rest on stderr) and structlog writes to stdout.
    """
    redact = Redactor(secrets)
    numeric = logging.getLevelNamesMapping()[level.upper()]
    _configure_stdlib(level.upper(), redact, stream, fmt)
    out = stream or sys.stdout

    def exception_text(exc_info: ExcInfo) -> str:
        return format_traceback(redact, exc_info[1]) if exc_info[1] is not None else ""

    def exception_formatter(sio: TextIO, exc_info: ExcInfo) -> None:
        if exc_info[1] is not None:
            sio.write("\n" + exception_text(exc_info))

    render: list[Processor] = (
        [
            structlog.processors.ExceptionRenderer(exception_text),
            structlog.processors.JSONRenderer(),
        ]
        if fmt == "json"
        else [
            structlog.dev.ConsoleRenderer(
                colors=out.isatty(), exception_formatter=exception_formatter
            )
        ]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_event(redact),
            *render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )


class JsonFormatter(logging.Formatter):
    """A stdlib record (uvicorn's, a library's) as one JSON line, shaped like structlog's:
    ``event``, ``level``, ``timestamp``, ``logger``, the request's id when one is being served,
    and the traceback the redacting filter already made (``exc_text``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "event": record.getMessage(),
            "level": record.levelname.lower(),
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "logger": record.name,
        }
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry)


def _configure_stdlib(level: str, redact: Redactor, stream: TextIO | None, fmt: LogFormat) -> None:
    """uvicorn's own logging layout (``uvicorn.config.LOGGING_CONFIG``) plus a root handler,
    every handler with the redacting filter; in JSON, one JSON formatter for every handler and
    no access log (the request line replaces it, see the module's docstring). The root stays
    at WARNING, as Python's last-resort handler had it: the libraries' INFO lines (httpx logs
    every webhook POST) stay out."""

    def handler(formatter: str, filter_: str, default_stream: str) -> dict[str, Any]:
        return {
            "class": "logging.StreamHandler",
            "formatter": formatter,
            "filters": [filter_],
            "stream": stream if stream is not None else default_stream,
        }

    is_json = fmt == "json"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {
                "redact": {"()": RedactingFilter, "redact": redact},
                "redact_access": {"()": RedactingFilter, "redact": redact, "keep_args": True},
            },
            "formatters": {
                "default": (
                    {"()": JsonFormatter}
                    if is_json
                    else {
                        "()": "uvicorn.logging.DefaultFormatter",
                        "fmt": "%(levelprefix)s %(message)s",
                        "use_colors": None,
                    }
                ),
                "access": {
                    "()": "uvicorn.logging.AccessFormatter",
                    "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
                },
            },
            "handlers": {
                "default": handler("default", "redact", "ext://sys.stderr"),
                "access": handler("access", "redact_access", "ext://sys.stdout"),
            },
            "loggers": {
                "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
                "uvicorn.error": {"level": level},
                "uvicorn.access": {
                    "handlers": [] if is_json else ["access"],
                    "level": level,
                    "propagate": False,
                },
            },
            "root": {"handlers": ["default"], "level": "WARNING"},
        }
    )
