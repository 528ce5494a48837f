"""Replay rosbag2 messages onto live topics and record live topics into a bag (rclpy).

- :func:`play_bag` — publish a bag's messages (raw CDR, no re-serialisation) with their
  original relative timing scaled by ``rate``, optionally looping.
- :class:`BagRecorder` — subscribe raw to topics and append every message to a
  :class:`~spic_ros.bag_io.BagWriter`, stamped with receive time or the message header stamp.
- :func:`wait_for` — poll a condition (e.g. discovery) with a timeout, never a fixed sleep.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Callable

import rclpy
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile

from spic_ros.bag_io import BagError, BagWriter, bag_topics, message_class, read_messages
from spic_ros.qos import input_qos

TAIL_MAX_S = 1.0  # longest wait after the last message (see play_bag)


def wait_for(condition: Callable[[], bool], timeout: float, poll: float = 0.02) -> bool:
    """True once ``condition()`` holds, False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def play_bag(node: Node, bag: str | Path, topics: list[str] | None = None, rate: float = 1.0,
             loop: bool = False, qos: QoSProfile | None = None, wait_subscribers: int = 0,
             discovery_timeout: float = 30.0, remap: dict[str, str] | None = None) -> int:
    """Publish the bag's messages on their topics (or ``remap``-ped names); returns the count.

    Timing follows the log timestamps divided by ``rate`` (``rate <= 0``: as fast as possible).
    With ``wait_subscribers`` > 0, each played topic first waits (up to ``discovery_timeout``
    s) for that many subscribers, so ``topics`` should name only topics that something reads
    (an encoder segmenting its images does not read the bag's labels). The last message keeps
    its slot on the bag's clock before the function returns, so a best-effort tail is sent
    before the caller exits. Stops early when rclpy shuts down.
    """
    available = bag_topics(bag)
    chosen = list(available) if topics is None else topics
    missing = set(chosen) - set(available)
    if missing:
        raise BagError(f"{bag} has no topic(s) {sorted(missing)}; it has {sorted(available)}")
    remap = remap or {}
    qos = qos or input_qos("reliable", 100)
    publishers = {t: node.create_publisher(message_class(available[t]), remap.get(t, t), qos)
                  for t in chosen}
    for topic, pub in publishers.items():
        if wait_subscribers and not wait_for(
                lambda: pub.get_subscription_count() >= wait_subscribers, discovery_timeout):
            raise TimeoutError(f"no subscriber on {remap.get(topic, topic)} after "
                               f"{discovery_timeout} s (play only the topics that are read: "
                               f"--topics)")
    count = 0
    last_gap = 0.0  # seconds between the last two messages, on the playback clock
    while True:
        first_log = previous_log = None
        start = time.monotonic()
        for message in read_messages(bag, chosen):
            if not rclpy.ok():
                return count
            if first_log is None:
                first_log = message.timestamp
            if previous_log is not None and rate > 0:
                last_gap = (message.timestamp - previous_log) / 1e9 / rate
            previous_log = message.timestamp
            if rate > 0:
                due = start + (message.timestamp - first_log) / 1e9 / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            try:
                publishers[message.topic].publish(message.data)
            except Exception:  # the context was shut down (Ctrl-C) between check and publish
                if rclpy.ok():
                    raise
                return count
            count += 1
        if not loop or first_log is None:
            break
    for pub in publishers.values():  # reliable delivery of the tail before the caller exits
        pub.wait_for_all_acked(Duration(seconds=discovery_timeout))
    # Best-effort samples have no acknowledgement: Fast DDS's asynchronous writer may still
    # hold the last one, and a caller that exits at once drops it. The last message keeps its
    # slot on the bag's clock (the gap before it, at most TAIL_MAX_S) before the caller goes on.
    time.sleep(min(last_gap, TAIL_MAX_S))
    return count


def header_stamp_ns(cdr: bytes) -> int:
    """The ``header.stamp`` of a CDR message whose first field is a std_msgs/Header."""
    little = cdr[1] & 1
    sec, nanosec = struct.unpack_from("<iI" if little else ">iI", cdr, 4)
    return sec * 1_000_000_000 + nanosec


class BagRecorder:
    """Records ``topics`` (``{topic: msgtype}``) from ``node`` into a new bag at ``path``.

    ``log_time="receive"`` stamps messages with the receive time; ``"header"`` uses each
    message's header stamp (types with a std_msgs/Header first), so a replayed bag keeps
    its timestamps exactly. Call :meth:`close` after spinning.
    """

    def __init__(self, node: Node, path: str | Path, topics: dict[str, str],
                 storage: str = "mcap", log_time: str = "receive",
                 qos: QoSProfile | None = None) -> None:
        if log_time not in ("receive", "header"):
            raise BagError(f"log_time must be receive or header, got {log_time!r}")
        self.writer = BagWriter(path, storage).__enter__()
        self.counts = {topic: 0 for topic in topics}
        self._node = node
        self._subscriptions = []
        qos = qos or input_qos("reliable", 100)
        for topic, msgtype in topics.items():
            cls = message_class(msgtype)
            if log_time == "header" and next(iter(cls.get_fields_and_field_types().items()),
                                             (None, None)) != ("header", "std_msgs/Header"):
                raise BagError(f"{msgtype} has no leading header; use log_time='receive'")
            self.writer.add_topic(topic, msgtype)
            callback = self._callback(topic, log_time)
            self._subscriptions.append(node.create_subscription(cls, topic, callback, qos,
                                                                raw=True))

    def _callback(self, topic: str, log_time: str) -> Callable[[bytes], None]:
        def on_message(data: bytes) -> None:
            stamp = (header_stamp_ns(data) if log_time == "header"
                     else self._node.get_clock().now().nanoseconds)
            self.writer.write(topic, stamp, data)
            self.counts[topic] += 1
        return on_message

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        for sub in self._subscriptions:
            self._node.destroy_subscription(sub)
        self._subscriptions = []
        self.writer.close()
