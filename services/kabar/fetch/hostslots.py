"""A host's concurrency slots for the whole of one ``kabar run --processes N``: the
run's discovery has the host's full slots beside the crawl processes' shares of
them, so together they could have twice the host's requests in flight. Each request
of the run also holds one of the host's ``fetch.per_host_concurrency`` slots here:
files of the run's folder (``<key>.<i>.slot``), one ``flock`` each, polled without
blocking (a thread blocked in ``flock`` could not be cancelled). A process that dies
lets its locks go with it. (A request parked as slow gives its slot back, as it
does its process's.)
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from pathlib import Path

#: How often a request waiting for one of its host's slots looks again.
_POLL_S = 0.01


class RunSlots:
    """The run's slots of every host, in ``folder`` (created if missing). A slot's file
    stays open once used: taking and giving it back is one ``flock`` each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[tuple[str, int], int] = {}
        self._keys: dict[str, str] = {}
        #: Slots this process holds: a second ``flock`` of the same open file would
        #: not be refused, so the process keeps count of its own.
        self._held: set[int] = set()

    async def take(self, host: str, count: int) -> int:
        """Wait for one of ``host``'s ``count`` slots; returns its descriptor
        (``release`` gives it back), or -1 when the folder cannot hold one."""
        key = self._keys.get(host)
        if key is None:
            digest = hashlib.sha256(host.encode("utf-8", "replace"))
            key = self._keys[host] = digest.hexdigest()[:32]
        while True:
            for index in range(max(1, count)):
                try:
                    fd = self._file(key, index)
                except OSError:
                    return -1  # no file to lock: this process's own slots only
                if fd in self._held:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                self._held.add(fd)
                return fd
            await asyncio.sleep(_POLL_S)

    def release(self, fd: int) -> None:
        if fd >= 0:
            self._held.discard(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        files, self._files = self._files, {}
        for fd in files.values():
            os.close(fd)  # its locks go with it
        self._held.clear()

    def _file(self, key: str, index: int) -> int:
        fd = self._files.get((key, index))
        if fd is None:
            fd = os.open(self.folder / f"{key}.{index}.slot", os.O_RDWR | os.O_CREAT, 0o600)
            self._files[key, index] = fd
        return fd
