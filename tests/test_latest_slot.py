"""LatestSlots and the workers on them: keep-latest mailboxes, round robin, chained stages."""

from __future__ import annotations

import threading

from spic_ros.latest_slot import LatestSlots
from spic_ros.testing import wait_for


def test_take_returns_nothing_after_close():
    slot: LatestSlots[int] = LatestSlots()
    assert slot.put(1) is False
    slot.close()
    assert slot.take(1, 0.01) == [] and slot.take() == []  # no frame once closed, no wait
    assert slot.put(2) is False and slot.take() == []


def test_close_wakes_a_waiting_consumer():
    slot: LatestSlots[int] = LatestSlots()
    taken = []
    consumer = threading.Thread(target=lambda: taken.append(slot.take()))
    consumer.start()
    slot.close()
    consumer.join(5)
    assert not consumer.is_alive() and taken == [[]]


def test_a_chained_pipeline_keeps_the_newest_input_and_loses_no_handed_over_item():
    """Stage 1 (keep-latest) hands each result to stage 2, waiting while stage 2 is busy:
    inputs are replaced only in stage 1's slot, and stage 2 gets every result, in order."""
    from spic_ros.latest_slot import LatestWorker

    release, coded, segmented = threading.Event(), [], []
    coder = LatestWorker("code", lambda item: (release.wait(5), coded.append(item)),
                         lambda: True)

    def segment(item: int) -> None:
        segmented.append(item)
        assert coder.hand_over(item)

    segmenter = LatestWorker("segment", segment, lambda: True)
    coder.start()
    segmenter.start()
    replaced = [segmenter.put(i) for i in range(1, 50)]  # stage 2 is blocked meanwhile
    release.set()
    assert wait_for(lambda: coded and coded[-1] == segmented[-1] == 49, 5), (coded, segmented)
    assert coded == segmented and coded[-1] == 49, (coded, segmented)
    assert coded == sorted(coded) and sum(replaced) == 49 - len(segmented)
    assert coder.stop(5) and segmenter.stop(5)


def test_hand_over_to_a_stopped_worker_returns_false_instead_of_waiting():
    from spic_ros.latest_slot import LatestWorker

    worker = LatestWorker("w", lambda item: None, lambda: True)  # never started: slot fills
    assert worker.hand_over(1)
    done = []
    waiter = threading.Thread(target=lambda: done.append(worker.hand_over(2)))
    waiter.start()
    waiter.join(0.1)
    assert waiter.is_alive()  # waits for the slot to empty
    worker.stop(1)
    waiter.join(5)
    assert done == [False]


def test_round_robin_serves_every_stream_in_turn_with_its_newest_item():
    from spic_ros.latest_slot import LatestSlots

    slots: LatestSlots[str] = LatestSlots(3)
    assert not slots.put("a1", 0) and slots.put("a2", 0)  # a1 replaced: a skip
    assert not slots.put("c1", 2)
    assert slots.take(1, 0) == [(0, "a2")]
    assert not slots.put("a3", 0) and not slots.put("b1", 1)
    # after slot 0: slots 1 and 2 first, although slot 0 has a newer item again
    assert [slots.take(1, 0) for _ in range(3)] == [[(1, "b1")], [(2, "c1")], [(0, "a3")]]
    assert slots.take(1, 0.01) == []  # all empty: timed out
    slots.close()
    assert slots.take() == [] and slots.put("x", 1) is False


def test_a_batch_takes_the_newest_item_of_several_streams_in_turn():
    slots: LatestSlots[str] = LatestSlots(3)
    for item, slot in [("a1", 0), ("b1", 1), ("c1", 2), ("a2", 0)]:
        slots.put(item, slot)
    assert slots.take(2, 0) == [(0, "a2"), (1, "b1")]
    slots.put("a3", 0)
    assert slots.take(3, 0) == [(2, "c1"), (0, "a3")]  # from the slot after the last taken


def test_a_batching_worker_hands_over_rounds_of_one_item_per_stream():
    from spic_ros.latest_slot import RoundRobinWorker

    rounds, handling, release = [], threading.Event(), threading.Event()

    def handle(items: list) -> None:
        handling.set()
        release.wait(5)
        rounds.append(items)

    worker = RoundRobinWorker("w", handle, lambda: True, slots=3, batch=3)
    worker.put("a1", 0)
    worker.start()
    assert handling.wait(5)  # a1 taken alone: nothing else was waiting
    assert not any(worker.put(item, slot) for item, slot in [("a2", 0), ("b1", 1), ("c1", 2)])
    release.set()
    assert wait_for(lambda: len(rounds) == 2, 5)
    assert rounds == [[(0, "a1")], [(1, "b1"), (2, "c1"), (0, "a2")]]  # from the slot after 0
    assert worker.stop(5)
