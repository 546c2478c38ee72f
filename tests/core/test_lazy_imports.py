"""Start-up cost of processes that need little: an extraction worker imports
language detection without the deduper; ``kabar run`` parses its arguments
without importing the bench modules; a crawl process (``kabar run --role crawl``)
imports neither the dedup store, discovery's parsers, the extractor nor the
language model, and loads no language model when its extraction processes tell
languages. Checked in a fresh interpreter, where
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


#: What a crawl process with extraction processes never uses (each costs start-up CPU and
#: memory: the dedup store, NumPy (the HTML guard's too), discovery's parsers, lexbor,
#: py3langid).
CRAWL_NEVER = ("kabar.dedup.store", "kabar.dedup.deduper", "kabar.dedup.language",
               "kabar.langcache", "py3langid", "kabar.discovery.discovery",
               "kabar.discovery.feeds", "kabar.extract", "selectolax", "numpy")


def test_the_crawl_role_imports_nothing_it_does_not_use() -> None:
    loaded = modules_after("from kabar.cli import build_parser\n"
                           "build_parser().parse_args(['run', '--role', 'crawl'])\n"
                           "import kabar.service, kabar.roles, kabar.processes")
    assert "kabar.frontier" in loaded  # what it does use
    assert sorted(set(CRAWL_NEVER) & loaded) == []


def test_discovery_names_still_resolve_on_use() -> None:
    from kabar.discovery import Discovery, SeenStore, SourceKind
    from kabar.discovery.discovery import Discovery as Home
    from kabar.discovery.seen import SeenStore as SeenHome

    assert Discovery is Home and SeenStore is SeenHome and SourceKind is not None


#: A crawl pipeline's start under ``_supervise``: extraction processes, no deduper.
_SUPERVISE = """
import asyncio, dataclasses
from collections import Counter
from kabar.service import _parts, _supervise
from kabar.settings import load_settings

class Crawl:
    def __init__(self, parts):
        self.parts, self.counts, self.running = parts, Counter(), False
    def request_stop(self):
        pass
    async def run(self, *, once):
        return self.counts

class Run:
    publisher = None

settings = load_settings(use_default_portals=False)
settings.metrics.enabled = False
settings.pipeline.progress_interval_s = 0
parts = dataclasses.replace(_parts(Run(), None, None, None), extract_pool=POOL)
asyncio.run(_supervise(settings, Crawl(parts), None, True, print, None))
"""


def test_a_crawl_process_with_extraction_processes_loads_no_language_model() -> None:
    assert "py3langid" not in modules_after(_SUPERVISE.replace("POOL", "object()"))
    # Where no extraction process tells languages, the model is loaded before the run.
    assert "py3langid" in modules_after(_SUPERVISE.replace("POOL", "None"))


def test_an_extraction_worker_does_not_import_the_metrics() -> None:
    loaded = modules_after("from kabar.extract import extract\n"
                           "from kabar.extract_pool import _warm_up, worker_main\n"
                           "_warm_up(extract)")
    assert "kabar.extract" in loaded and "py3langid" in loaded  # what it does use
    assert "prometheus_client" not in loaded and "kabar.metrics" not in loaded
