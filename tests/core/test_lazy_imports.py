"""Start-up cost of processes that need little: an extraction worker imports
language detection without the deduper; ``kabar run`` parses its arguments
without importing the bench modules. Checked in a fresh interpreter, where
``sys.modules`` shows what an import pulled in."""

from __future__ import annotations

import subprocess
import sys


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return set(out.split())


def test_language_detection_does_not_import_the_deduper() -> None:
    loaded = modules_after("import kabar.dedup.language")
    assert "kabar.dedup.deduper" not in loaded
    assert "kabar.dedup.store" not in loaded


def test_package_names_still_resolve_on_use() -> None:
    from kabar.dedup import Deduper, StateStore, content_hash, open_store
    from kabar.dedup.deduper import Deduper as Home

    assert Deduper is Home
    assert callable(content_hash) and callable(open_store) and isinstance(StateStore, type)


def test_run_command_line_does_not_import_the_benches() -> None:
    loaded = modules_after("from kabar.cli import build_parser\n"
                           "build_parser().parse_args(['run', '--once'])")
    assert not {m for m in loaded if m.startswith("kabar.bench")}


def test_a_bench_gets_its_arguments_when_it_is_chosen() -> None:
    from kabar.bench import extract
    from kabar.cli import build_parser

    argv = ["bench", "extract", "--rounds", "2", "corpus"]
    args = build_parser(argv).parse_args(argv)
    assert args._bench_main is extract.main
    assert args.rounds == 2


def test_only_the_chosen_bench_is_imported() -> None:
    loaded = modules_after("from kabar.cli import build_parser\n"
                           "argv = ['bench', 'fetch', '--help']\n"
                           "import contextlib, io\n"
                           "quiet = contextlib.redirect_stdout(io.StringIO())\n"
                           "with contextlib.suppress(SystemExit), quiet:\n"
                           "    build_parser(argv).parse_args(argv)")
    assert "kabar.bench.fetch" in loaded
    assert "kabar.bench.extract" not in loaded and "kabar.bench.e2e" not in loaded
