"""Structured logging: JSON lines for machines, a compact line for terminals.

Every record may carry context fields (portal, url, stage, reason, ...) passed
through :func:`log_event`; the JSON formatter writes them as top-level keys of
one object per line so log shippers can index them without parsing text.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

#: ``LogRecord`` attribute that carries the context fields of :func:`log_event`.
FIELDS_ATTR = "kabar_fields"
_RESERVED = frozenset({"ts", "level", "logger", "msg"})
_FORMATS = ("auto", "json", "text")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, then the context fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _fields(record).items():
            doc[f"field_{key}" if key in _RESERVED else key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode("utf-8")


class TextFormatter(logging.Formatter):
    """Human-readable: ``HH:MM:SS LEVEL logger: msg key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        pairs = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {pairs}" if pairs else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", FIELDS_ATTR}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Context fields from :func:`log_event` and from plain ``extra={...}`` alike."""
    fields = getattr(record, FIELDS_ATTR, None)
    merged = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
    if isinstance(fields, dict):
        merged.update(fields)
    return merged


def make_formatter(fmt: str = "auto", stream: TextIO | None = None) -> logging.Formatter:
    """The formatter for ``fmt``; "auto" is text on a terminal, JSON otherwise."""
    if fmt not in _FORMATS:
        raise ValueError(f"log format must be one of {_FORMATS}, not {fmt!r}")
    if fmt == "auto":
        target = sys.stderr if stream is None else stream
        fmt = "text" if target.isatty() else "json"
    return TextFormatter() if fmt == "text" else JsonFormatter()


def setup_logging(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route the root logger to ``stream`` (stderr) with the chosen format.

    Calling it again replaces the handler it installed before, so tests and
    ``kabar run`` can reconfigure without duplicating lines.
    """
    target = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(target)
    handler.setFormatter(make_formatter(fmt, target))
    handler.set_name("kabar")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "kabar"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Python warnings become log records, not plain text among the JSON lines.
    logging.captureWarnings(True)
    # Client libraries are chatty at INFO; their warnings still come through.
    for noisy in ("aiokafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def log_event(logger: logging.Logger, level: int | str, msg: str, /, **fields: Any) -> None:
    """Log ``msg`` with context fields (portal, url, stage, reason, ...)."""
    lvl = level if isinstance(level, int) else logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        raise ValueError(f"unknown log level {level!r}")
    if logger.isEnabledFor(lvl):
        logger.log(lvl, msg, extra={FIELDS_ATTR: fields}, stacklevel=2)


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger bound to fixed fields (e.g. ``portal``); per-call ``extra`` adds more."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        bound = dict(self.extra) if self.extra else {}
        call = kwargs.pop("extra", None) or {}
        kwargs["extra"] = {FIELDS_ATTR: {**bound, **call}}
        return msg, kwargs
