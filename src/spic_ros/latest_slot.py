"""One-item mailboxes (the producer overwrites, the consumer takes the latest item) and the
worker threads that serve them: :class:`LatestWorker` always handles the newest item of one
slot; :class:`RoundRobinWorker` serves several slots (one per stream) in turn, several at a
time when asked (a batch). Two workers chained with :meth:`RoundRobinWorker.hand_over` form a
pipeline whose later stage never drops work."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class LatestSlots(Generic[T]):
    """``count`` slots holding at most one item each, taken in turn (round robin).

    ``put`` returns True when it replaced an untaken item (a skip).
    """

    def __init__(self, count: int = 1) -> None:
        if count < 1:
            raise ValueError(f"need at least one slot, got {count}")
        self._cond = threading.Condition()
        self._items: list[T | None] = [None] * count
        self._next = 0  # the slot served first by the next take
        self._closed = False

    def put(self, item: T, slot: int = 0) -> bool:
        """Store ``item`` (dropped after :meth:`close`); True when it replaced an untaken one."""
        with self._cond:
            if self._closed:
                return False
            replaced = self._items[slot] is not None
            self._items[slot] = item
            self._cond.notify_all()
            return replaced

    def put_when_empty(self, item: T, slot: int = 0) -> bool:
        """Wait until ``slot`` is empty, then store ``item``; False (``item`` dropped) once
        closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._items[slot] is None or self._closed)
            if self._closed:
                return False
            self._items[slot] = item
            self._cond.notify_all()
            return True

    def take(self, limit: int = 1, timeout: float | None = None) -> list[tuple[int, T]]:
        """``(slot, item)`` of up to ``limit`` filled slots, in turn from the one after the
        last taken, waiting up to ``timeout`` s for one; empty on timeout or once closed
        (untaken items are discarded by :meth:`close`)."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or any(i is not None for i in self._items),
                                timeout)
            if self._closed:
                return []
            count, taken = len(self._items), []
            for slot in (s % count for s in range(self._next, self._next + count)):
                item = self._items[slot]
                if item is not None and len(taken) < limit:
                    self._items[slot], self._next = None, slot + 1
                    taken.append((slot, item))
            if taken:
                self._cond.notify_all()  # a producer may wait for the slot to empty
            return taken

    def close(self) -> None:
        """Wake every waiting call with None / False; later calls return at once."""
        with self._cond:
            self._closed = True
            self._items = [None] * len(self._items)
            self._cond.notify_all()


class RoundRobinWorker(Generic[T]):
    """A thread handing the newest items of ``slots`` slots to ``handle(items)``, up to
    ``batch`` at a time (``items``: ``[(slot, item), ...]``, the slots in turn), until :meth:`stop`.

    An item put while the previous one of its slot waits replaces it (``put`` returns True:
    count it as a skip). ``handle`` must catch its own errors; it may poll :meth:`stopping` to
    end early. ``running`` (e.g. the node's ``context.ok``) turning False also ends the thread.
    """

    def __init__(self, name: str, handle: Callable[[list[tuple[int, T]]], None],
                 running: Callable[[], bool], slots: int = 1, batch: int = 1) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self._slots: LatestSlots[T] = LatestSlots(slots)
        self._batch = batch
        self._stop = threading.Event()
        self._handle = handle
        self._running = running
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, item: T, slot: int = 0) -> bool:
        """Hand ``item`` to the thread; True when it replaced one not yet taken."""
        return self._slots.put(item, slot)

    def hand_over(self, item: T, slot: int = 0) -> bool:
        """Hand ``item`` to the thread once the slot's previous one was taken (never
        replaces); False when the worker stopped meanwhile (``item`` is dropped)."""
        return self._slots.put_when_empty(item, slot)

    def stopping(self) -> bool:
        """:meth:`stop` was called or ``running()`` is False."""
        return self._stop.is_set() or not self._running()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float) -> bool:
        """Discard the waiting items, wait up to ``timeout`` s for the one being handled;
        True when the thread has ended."""
        self._stop.set()
        self._slots.close()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self.stopping():
            taken = self._slots.take(self._batch)
            if not taken or self.stopping():
                return
            self._handle(taken)


class LatestWorker(RoundRobinWorker[T]):
    """A thread handing the newest item :meth:`put` to ``handle(item)`` (one slot)."""

    def __init__(self, name: str, handle: Callable[[T], None],
                 running: Callable[[], bool]) -> None:
        super().__init__(name, lambda items: handle(items[0][1]), running)
