"""py3langid's model, decoded once per installation instead of once per process.

py3langid ships its model LZMA-compressed (4.5 MB) and decompresses it, through a
temporary file, in every process that loads it: a quarter to half a second of
CPU each time, paid by the service and each of its extraction processes at every
start (a crawl process, whose extraction processes tell languages, loads it only
if an article needs it: ``service._supervise``). The decoded arrays are kept here as an uncompressed
``.npz`` in the user's cache folder (``$XDG_CACHE_HOME/kabar`` or
``~/.cache/kabar``; ``KABAR_LANGID_CACHE`` names another folder, "" turns the
cache off), named after the model file's size and modification time, so a new
py3langid brings a new file. Loading it costs tens of milliseconds. A missing,
unreadable or unwritable cache only means the slow load.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np
from py3langid.langid import MODEL_DIR, LanguageIdentifier
from py3langid.modelio import load_model

CACHE_ENV = "KABAR_LANGID_CACHE"
_TYPECODES = {2: "H", 4: "I", 8: "L"}


def cache_folder() -> Path | None:
    """Where decoded models are kept (None: nowhere)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kabar"


def identifier(model_file: str, **options: Any) -> LanguageIdentifier:
    """``LanguageIdentifier.from_model_file(model_file, **options)``, from the decoded
    copy when there is one (made on the first load)."""
    source = Path(model_file)
    if not source.is_absolute():
        source = MODEL_DIR / source
    folder = cache_folder()
    cached = folder / _cache_name(source) if folder is not None else None
    model = _read(cached) if cached is not None else None
    if model is None:
        model = load_model(source)
        if cached is not None:
            _write(cached, model)
    ptc, pc, classes, nextmove, row, output = model
    return LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output,
                              tk_row=row, **options)


def _cache_name(source: Path) -> str:
    stat = source.stat()
    return f"langid-{source.stem.split('.')[0]}-{stat.st_size}-{stat.st_mtime_ns}.npz"


def _read(path: Path) -> tuple[Any, ...] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return (data["ptc"], data["pc"], data["classes"].tolist(),
                    _stdlib_array(data["nextmove"]), _stdlib_array(data["row"]),
                    data["output"].tolist())
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # absent, torn,
        # or of another layout
        return None


def _write(path: Path, model: tuple[Any, ...]) -> None:
    """Write the decoded model whole or not at all (renamed into place)."""
    ptc, pc, classes, nextmove, row, output = model
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".langid-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, ptc=ptc, pc=pc, classes=np.array(classes),
                         nextmove=np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
                         row=np.frombuffer(row, dtype=f"u{row.itemsize}"),
                         output=np.asarray(output, dtype=np.int64))
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _stdlib_array(values: Any) -> array[int]:
    """An unsigned NumPy array as the stdlib ``array`` py3langid walks its DFA with."""
    out = array(_TYPECODES[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out
