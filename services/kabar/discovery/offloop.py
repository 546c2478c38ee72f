"""Parsing feeds, sitemaps and section pages off the event loop, within a time limit.

Every source document is parsed in a small dedicated thread pool, so the loop
keeps answering ``/healthz`` and feeding the fetch workers while a big sitemap
or a hostile page is read. That works because the heavy parts release the GIL
or give it up often: selectolax (1.0+) parses with the GIL released (measured:
a 2.6 s lexbor parse in a thread delays the loop by at most ~30 ms, inline by
the full 2.6 s), and the XML reader feeds expat 64 KiB at a time.

A parse that outlives ``timeout_s`` is abandoned with ``parse_timeout`` (a
thread cannot be stopped): its thread keeps its pool slot until it ends, so
abandoned parses never hold more than ``threads`` threads, and the cheap
checks before each parse (``kabar.htmlguard``, the XML limits) bound how long
that can be.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from kabar.errors import ContentError

_P = ParamSpec("_P")
_T = TypeVar("_T")


class ParseRunner:
    """Runs parse functions in worker threads, at most ``threads`` at a time."""

    def __init__(self, threads: int = 2, timeout_s: float = 10.0) -> None:
        self._threads = max(1, threads)
        self._timeout_s = timeout_s
        self._pool: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None

    async def run(self, parse: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``parse(*args, **kwargs)`` in a thread; ContentError(parse_timeout) past the limit."""
        slots = self._slots = self._slots or asyncio.Semaphore(self._threads)
        pool = self._pool = self._pool or ThreadPoolExecutor(
            self._threads, thread_name_prefix="kabar-parse"
        )
        await slots.acquire()
        future = asyncio.get_running_loop().run_in_executor(
            pool, functools.partial(parse, *args, **kwargs)
        )
        # The slot is given back when the thread is done, not when we stop waiting.
        future.add_done_callback(lambda _: slots.release())
        try:
            # Not wait_for: on 3.11 it can swallow a cancellation that meets a finished
            # parse, and a stopping discovery would then go on.
            async with asyncio.timeout(self._timeout_s):
                return await asyncio.shield(future)
        except TimeoutError:
            future.add_done_callback(_consume)
            raise ContentError(
                f"parsing took longer than {self._timeout_s:g} s", reason="parse_timeout"
            ) from None

    def close(self) -> None:
        """Stop taking work; threads still parsing end on their own."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned parse's outcome so asyncio does not log it as unhandled."""
    if not future.cancelled():
        future.exception()
