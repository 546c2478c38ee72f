"""Structured logging: JSON lines and the terminal format."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from kabar.logs import ContextAdapter, log_event, make_formatter, setup_logging


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    return [ln for ln in stream.getvalue().splitlines() if ln]


def test_json_line_has_core_keys_and_fields() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log_event(
        logging.getLogger("kabar.fetch"),
        logging.WARNING,
        "fetch failed",
        portal="detik",
        url="https://news.detik.com/x",
        stage="fetch",
        reason="timeout",
    )
    (line,) = lines(out)
    doc = orjson.loads(line)
    assert doc["level"] == "WARNING"
    assert doc["logger"] == "kabar.fetch"
    assert doc["msg"] == "fetch failed"
    assert doc["ts"].endswith("+00:00")
    assert {k: doc[k] for k in ("portal", "url", "stage", "reason")} == {
        "portal": "detik",
        "url": "https://news.detik.com/x",
        "stage": "fetch",
        "reason": "timeout",
    }


def test_level_filters_and_accepts_names() -> None:
    out = io.StringIO()
    setup_logging("warning", "json", stream=out)
    log = logging.getLogger("kabar.t")
    log_event(log, "INFO", "hidden")
    log_event(log, "error", "shown")
    assert [orjson.loads(ln)["msg"] for ln in lines(out)] == ["shown"]


def test_reserved_field_names_do_not_clobber_core_keys() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log_event(logging.getLogger("kabar.t"), logging.INFO, "real", msg="fake", level="x")
    doc = orjson.loads(lines(out)[0])
    assert doc["msg"] == "real" and doc["field_msg"] == "fake"
    assert doc["level"] == "INFO" and doc["field_level"] == "x"


def test_non_json_values_are_stringified() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log_event(logging.getLogger("kabar.t"), logging.INFO, "m", obj=object(), n=3)
    doc = orjson.loads(lines(out)[0])
    assert doc["obj"].startswith("<object object") and doc["n"] == 3


def test_exceptions_are_included() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("kabar.t").exception("failed")
    doc = orjson.loads(lines(out)[0])
    assert "ValueError: bad thing" in doc["exc"]


def test_auto_picks_text_on_a_terminal_and_json_otherwise() -> None:
    tty = FakeTty()
    setup_logging("INFO", "auto", stream=tty)
    log_event(logging.getLogger("kabar.t"), logging.INFO, "hello", portal="kompas")
    (line,) = lines(tty)
    assert "INFO" in line and "kabar.t: hello portal=kompas" in line
    pipe = io.StringIO()
    setup_logging("INFO", "auto", stream=pipe)
    logging.getLogger("kabar.t").info("hello")
    assert orjson.loads(lines(pipe)[0])["msg"] == "hello"


def test_setup_twice_does_not_duplicate_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    setup_logging("INFO", "json", stream=first)
    setup_logging("INFO", "json", stream=second)
    logging.getLogger("kabar.t").info("once")
    assert lines(first) == [] and len(lines(second)) == 1


def test_adapter_binds_fields() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    log = ContextAdapter(logging.getLogger("kabar.t"), {"portal": "antara"})
    log.info("got", extra={"stage": "extract"})
    doc = orjson.loads(lines(out)[0])
    assert doc["portal"] == "antara" and doc["stage"] == "extract"


def test_bad_format_and_level_are_rejected() -> None:
    with pytest.raises(ValueError):
        make_formatter("xml")
    with pytest.raises(ValueError):
        log_event(logging.getLogger("kabar.t"), "LOUD", "m")


def test_plain_extra_fields_reach_json_lines() -> None:
    import io
    import logging

    import orjson

    from kabar.logs import setup_logging

    stream = io.StringIO()
    setup_logging("INFO", "json", stream)
    logging.getLogger("kabar.test").warning("source failed", extra={"portal": "kompas",
                                                                     "url": "https://k.id/rss"})
    line = orjson.loads(stream.getvalue().splitlines()[-1])
    assert (line["msg"], line["portal"], line["url"]) == ("source failed", "kompas",
                                                          "https://k.id/rss")
    assert "args" not in line and "levelno" not in line
