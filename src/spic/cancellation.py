"""Cooperative cancellation of long computations (a diffusion sampler between its steps).

A caller runs work inside ``cancel_when(should_stop)``; long loops call
:func:`raise_if_cancelled` at safe points, which raises :class:`Cancelled` once
``should_stop()`` is true. The scope is per thread (a :class:`contextvars.ContextVar`), so a
node's worker can be cancelled without touching other threads.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

_should_stop: ContextVar[Callable[[], bool] | None] = ContextVar("spic_should_stop", default=None)


class Cancelled(Exception):
    """The computation was cancelled (e.g. the node is shutting down). Not a bad input."""


@contextmanager
def cancel_when(should_stop: Callable[[], bool]) -> Iterator[None]:
    """Within this block, :func:`raise_if_cancelled` raises once ``should_stop()`` is true."""
    token = _should_stop.set(should_stop)
    try:
        yield
    finally:
        _should_stop.reset(token)


def raise_if_cancelled() -> None:
    """Raise :class:`Cancelled` if the enclosing :func:`cancel_when` asks to stop."""
    should_stop = _should_stop.get()
    if should_stop is not None and should_stop():
        raise Cancelled("cancelled")
