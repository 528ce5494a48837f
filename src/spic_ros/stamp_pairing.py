"""Pair messages of two topics by identical header stamps, with bounded buffers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable


def stamp_key(header) -> tuple[int, int]:
    return int(header.stamp.sec), int(header.stamp.nanosec)


class StampPairer:
    """Calls ``on_pair(first, second)`` when both messages with one header stamp have arrived.

    Each side keeps at most ``capacity`` unmatched messages (oldest evicted, counted in
    ``evicted`` and handed to ``on_evict(side, msg)``: 0 first, 1 second), so a missing
    partner never grows memory.
    """

    def __init__(self, on_pair: Callable[[Any, Any], None], capacity: int = 16,
                 on_evict: Callable[[int, Any], None] | None = None) -> None:
        self._on_pair = on_pair
        self._on_evict = on_evict
        self._capacity = capacity
        self._pending: tuple[OrderedDict, OrderedDict] = (OrderedDict(), OrderedDict())
        self._lock = threading.Lock()
        self.evicted = 0

    def add_first(self, msg) -> None:
        self._add(0, msg)

    def add_second(self, msg) -> None:
        self._add(1, msg)

    def _add(self, side: int, msg) -> None:
        key = stamp_key(msg.header)
        evicted = []
        with self._lock:
            other = self._pending[1 - side].pop(key, None)
            if other is None:
                mine = self._pending[side]
                mine[key] = msg
                while len(mine) > self._capacity:
                    evicted.append(mine.popitem(last=False)[1])
                    self.evicted += 1
        if self._on_evict is not None:
            for old in evicted:
                self._on_evict(side, old)
        if other is None:
            return
        first, second = (msg, other) if side == 0 else (other, msg)
        self._on_pair(first, second)
