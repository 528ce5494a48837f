"""Pair messages of two topics by identical header stamps, with bounded buffers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable


def stamp_key(header) -> tuple[int, int]:
    return int(header.stamp.sec), int(header.stamp.nanosec)


class StampPairer:
    """Calls ``on_pair(first, second)`` when both messages with one header stamp have arrived.

    Each side keeps at most ``capacity`` unmatched messages (oldest evicted and counted in
    ``evicted``), so a missing partner never grows memory.
    """

    def __init__(self, on_pair: Callable[[Any, Any], None], capacity: int = 16) -> None:
        self._on_pair = on_pair
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
        with self._lock:
            other = self._pending[1 - side].pop(key, None)
            if other is None:
                mine = self._pending[side]
                mine[key] = msg
                while len(mine) > self._capacity:
                    mine.popitem(last=False)
                    self.evicted += 1
                return
        first, second = (msg, other) if side == 0 else (other, msg)
        self._on_pair(first, second)
