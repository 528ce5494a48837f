"""LatestSlot: the decoder node's one-item mailbox, before and after close()."""

from __future__ import annotations

import threading

from spic_ros.latest_slot import LatestSlot


def test_take_returns_nothing_after_close():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    slot.close()
    assert slot.take(0.01) is None and slot.take() is None  # no frame once closed, no wait
    assert slot.put(2) is False and slot.take() is None


def test_close_wakes_a_waiting_consumer():
    slot: LatestSlot[int] = LatestSlot()
    taken = []
    consumer = threading.Thread(target=lambda: taken.append(slot.take()))
    consumer.start()
    slot.close()
    consumer.join(5)
    assert not consumer.is_alive() and taken == [None]
