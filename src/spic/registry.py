"""Small name -> factory registries with lazy imports.

Entries may be registered as objects (decorator) or as ``"module:attr"`` strings, so
heavy optional parts (torch, onnxruntime, PyAV) are imported only when selected.
"""

from __future__ import annotations

import importlib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownEntryError(KeyError):
    """Raised for a name that is not registered (message lists the known names)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


class Registry(Generic[T]):
    """Maps names to factories (classes or callables returning a ``T``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T] | str] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a factory under ``name``."""

        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self._entries[name] = factory
            return factory

        return deco

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:Attr"``, imported on first use."""
        self._entries[name] = target

    def get(self, name: str) -> Callable[..., T]:
        """The factory for ``name``; raises :class:`UnknownEntryError` if unknown."""
        try:
            entry = self._entries[name]
        except KeyError:
            raise UnknownEntryError(
                f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}"
            ) from None
        if isinstance(entry, str):
            module, attr = entry.split(":")
            entry = getattr(importlib.import_module(module), attr)
            self._entries[name] = entry
        return entry

    def create(self, name: str, **kwargs) -> T:
        """Instantiate the entry ``name`` with keyword arguments."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
