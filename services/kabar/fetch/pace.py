"""A minimum transfer rate for response bodies.

A read timeout alone never fires on a server that sends one byte a second, and
the total timeout lets such a body hold its slot for the whole of it. Here the
body must keep ahead of ``min_rate`` bytes/s once ``grace_s`` have passed: the
next chunk is due by ``start + grace_s + received / min_rate``, so a dribbling
or stalled body is cut (``too_slow``) within about ``grace_s`` seconds while a
slow but steady one (a big page on a poor link) goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kabar.errors import NetworkError


async def paced(
    chunks: AsyncIterator[bytes], min_rate: float, grace_s: float
) -> AsyncIterator[bytes]:
    """``chunks`` as they come, until one is later than the rate allows."""
    if min_rate <= 0:
        async for chunk in chunks:
            yield chunk
        return
    loop = asyncio.get_running_loop()
    start = loop.time()
    received = 0
    while True:
        try:
            async with asyncio.timeout_at(start + grace_s + received / min_rate):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError as exc:
            elapsed = loop.time() - start
            raise NetworkError(
                f"{received} bytes in {elapsed:.1f}s, under {min_rate:.0f} bytes/s",
                reason="too_slow",
            ) from exc
        received += len(chunk)
        yield chunk
