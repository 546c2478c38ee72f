"""A package's public names imported on first use (PEP 562 ``__getattr__`` and
``__dir__``), so importing the package does not import every submodule behind them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``homes`` is read
    from the submodule ``homes`` names for it, then kept in the package."""
    module = sys.modules[package]

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            # Not ours: ``from package import submodule`` then imports the submodule.
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(module, name, value)  # later lookups skip this hook
        return value

    def dir_() -> list[str]:
        return sorted([*vars(module), *names])

    return getattr_, dir_
