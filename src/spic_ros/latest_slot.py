"""A one-item mailbox (the producer overwrites, the consumer takes the latest item) and a
worker thread that always handles the newest item; two workers chained with
:meth:`LatestWorker.hand_over` form a pipeline whose later stage never drops work."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item. ``put`` returns True when it replaced an untaken item (a skip)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False

    def put(self, item: T) -> bool:
        """Store ``item`` (dropped after :meth:`close`); True when it replaced an untaken one."""
        with self._cond:
            if self._closed:
                return False
            replaced = self._item is not None
            self._item = item
            self._cond.notify_all()
            return replaced

    def put_when_empty(self, item: T) -> bool:
        """Wait until the slot is empty, then store ``item``; False (``item`` dropped) once
        closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is None or self._closed)
            if self._closed:
                return False
            self._item = item
            self._cond.notify_all()
            return True

    def take(self, timeout: float | None = None) -> T | None:
        """The latest item, waiting up to ``timeout`` s; None on timeout or once closed (an
        untaken item is discarded by :meth:`close`)."""
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout)
            if self._closed:
                return None
            item, self._item = self._item, None
            self._cond.notify_all()  # a producer may wait for the slot to empty
            return item

    def close(self) -> None:
        """Wake every waiting :meth:`take` with None; later calls return None at once."""
        with self._cond:
            self._closed = True
            self._item = None
            self._cond.notify_all()


class LatestWorker(Generic[T]):
    """A thread handing the newest item :meth:`put` to ``handle`` until :meth:`stop`.

    An item put while the previous one waits replaces it (``put`` returns True: count it as
    a skip). ``handle`` must catch its own errors; it may poll :meth:`stopping` to end
    early. ``running`` (e.g. the node's ``context.ok``) turning False also ends the thread.
    """

    def __init__(self, name: str, handle: Callable[[T], None],
                 running: Callable[[], bool]) -> None:
        self._slot: LatestSlot[T] = LatestSlot()
        self._stop = threading.Event()
        self._handle = handle
        self._running = running
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, item: T) -> bool:
        """Hand ``item`` to the thread; True when it replaced one not yet taken."""
        return self._slot.put(item)

    def hand_over(self, item: T) -> bool:
        """Hand ``item`` to the thread once the previous one was taken (never replaces);
        False when the worker stopped meanwhile (``item`` is dropped)."""
        return self._slot.put_when_empty(item)

    def stopping(self) -> bool:
        """:meth:`stop` was called or ``running()`` is False."""
        return self._stop.is_set() or not self._running()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float) -> bool:
        """Discard the waiting item, wait up to ``timeout`` s for the one being handled;
        True when the thread has ended."""
        self._stop.set()
        self._slot.close()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self.stopping():
            item = self._slot.take()
            if item is None or self.stopping():
                return
            self._handle(item)
