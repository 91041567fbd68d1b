"""PEP 562 lazy attributes for the package ``__init__`` modules (one implementation)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_attributes(package: str, names: dict[str, str], namespace: dict
                    ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` loading ``names`` (``{attribute: ".submodule"}``) on first use.

    Parameters
    ----------
    package
        The package's ``__name__`` (relative submodules resolve against it).
    names
        Attribute name to the relative module that defines it.
    namespace
        The package's ``globals()``: a loaded attribute is cached there.
    """
    def __getattr__(name: str) -> object:
        if name in names:
            value = getattr(importlib.import_module(names[name], package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
