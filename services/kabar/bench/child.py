"""A benchmark's local site in a child process of its own (its own GIL), so serving
pages does not take CPU from the process being measured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serve_in_child(code: str) -> Iterator[str]:
    """Run ``code`` in a child Python that prints one line (its port, and whatever else
    it announces) and serves until its stdin closes; yields that line."""
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield child.stdout.readline()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
