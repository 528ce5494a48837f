"""The encoder and decoder nodes in this process, talking over real DDS topics: one harness for
``spic-demo`` and ``spic_evaluate_bag``.

:class:`Loopback` starts both nodes (configured only through their parameters) in a private
rclpy context on a multi-threaded executor, plus a probe node that publishes camera frames
(and label maps) and collects, by header stamp, every SemanticFrame, decoded image and SSM
that comes back. The nodes' per-frame measurements are kept through
:meth:`~spic_ros.diagnostics.NodeStats.add_listener`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Outputs collected per frame: attribute -> topic under the namespace.
OUTPUTS = {"frame": "spic", "decoded": "decoded", "ssm": "decoded/ssm",
           "encoder_ssm": "spic/ssm"}


def stamp_key(header) -> tuple[int, int]:
    return int(header.stamp.sec), int(header.stamp.nanosec)


@dataclass
class FrameRecord:
    """One frame through the loop: when it was sent and what came back (and when)."""

    sent: float | None = None
    frame: Any = None        # spic_ros/msg/SemanticFrame
    decoded: Any = None      # rgb8 sensor_msgs/Image
    ssm: Any = None          # the decoder's mono8 SSM
    encoder_ssm: Any = None  # the encoder's mono8 SSM
    arrived: dict[str, float] = field(default_factory=dict)  # output -> perf_counter time
    done: threading.Event = field(default_factory=threading.Event)


class Loopback:
    """Encoder + decoder + probe under ``namespace``; see the module docstring.

    ``encoder`` / ``decoder``: parameter overrides (topics are set here). ``live_topic``:
    encode a camera topic instead of frames sent with :meth:`send`. ``labels``: the encoder
    codes label maps sent with the frames. ``ssm``: also collect both SSMs (frames are done
    when every collected output is back).
    """

    def __init__(self, namespace: str, encoder: dict[str, Any], decoder: dict[str, Any], *,
                 live_topic: str | None = None, labels: bool = False, ssm: bool = True,
                 depth: int = 100) -> None:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import MultiThreadedExecutor

        self.topics = {name: f"{namespace}/{topic}" for name, topic in OUTPUTS.items()}
        self.image_topic = live_topic or f"{namespace}/image"
        self.labels_topic = f"{namespace}/labels"
        self.live = live_topic is not None
        self.collected = [name for name in OUTPUTS if ssm or name in ("frame", "decoded")]
        encoder = {"image_topic": self.image_topic, "output_topic": self.topics["frame"],
                   "labels_topic": self.labels_topic if labels else "", "publish_ssm": ssm,
                   **({} if self.live else {"input_qos": "reliable", "input_depth": depth}),
                   **encoder}
        decoder = {"input_topic": self.topics["frame"], "output_topic": self.topics["decoded"],
                   "publish_ssm": ssm, "input_depth": depth, **decoder}
        self.records: dict[tuple[int, int], FrameRecord] = {}
        self.originals: dict[tuple[int, int], Any] = {}  # live mode: the camera's frames
        self.measurements: dict[str, list[dict[str, float]]] = {"encoder": [], "decoder": []}
        self._lock = threading.Lock()
        self._nodes: list = []
        self.executor: MultiThreadedExecutor | None = None
        self.context = Context()
        rclpy.init(args=["spic_loopback"], context=self.context)
        try:
            self._start_nodes(encoder, decoder)
            self._start_probe(depth)
        except BaseException:
            self.close()
            raise
        self.executor = MultiThreadedExecutor(context=self.context)
        for node in self._nodes:
            self.executor.add_node(node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self._spinner.start()

    def _start_nodes(self, encoder: dict[str, Any], decoder: dict[str, Any]) -> None:
        from rclpy.parameter import Parameter

        from spic_ros.decoder_node import DecoderNode
        from spic_ros.encoder_node import EncoderNode

        for cls, overrides in ((EncoderNode, encoder), (DecoderNode, decoder)):
            self._nodes.append(cls(context=self.context, parameter_overrides=[
                Parameter(k, value=v) for k, v in overrides.items()]))
        self.encoder, self.decoder = self._nodes
        for side, node in (("encoder", self.encoder), ("decoder", self.decoder)):
            node.stats.add_listener(self.measurements[side].append)

    def _start_probe(self, depth: int) -> None:
        from rclpy.node import Node
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import Image

        from spic_ros.msg import SemanticFrame
        from spic_ros.qos import reliable_qos

        self.probe = Node("spic_loopback_probe", context=self.context)
        self._nodes.append(self.probe)
        qos = reliable_qos(depth)
        if self.live:
            self.probe.create_subscription(Image, self.image_topic, self._on_original,
                                           qos_profile_sensor_data)
        else:
            self.image_pub = self.probe.create_publisher(Image, self.image_topic, qos)
            self.labels_pub = self.probe.create_publisher(Image, self.labels_topic, qos)
        for name in self.collected:
            self.probe.create_subscription(SemanticFrame if name == "frame" else Image,
                                           self.topics[name], self._collector(name), qos)

    def record(self, header) -> FrameRecord:
        """The record of the frame with this header's stamp (created on first use)."""
        with self._lock:
            return self.records.setdefault(stamp_key(header), FrameRecord())

    def _collector(self, name: str):
        def on_message(msg) -> None:
            record = self.record(msg.header)
            setattr(record, name, msg)
            record.arrived[name] = time.perf_counter()
            if all(getattr(record, n) is not None for n in self.collected):
                record.done.set()
        return on_message

    def _on_original(self, msg) -> None:
        self.originals[stamp_key(msg.header)] = msg

    def wait_discovery(self, timeout: float = 30.0) -> None:
        """Wait until the probe and both nodes see each other; raises TimeoutError."""
        from spic_ros.bag_replay import wait_for

        def matched() -> bool:
            return ((self.live or self.image_pub.get_subscription_count() > 0)
                    and all(self.probe.count_publishers(self.topics[n]) > 0
                            for n in self.collected))
        if not wait_for(matched, timeout):
            raise TimeoutError("encoder/decoder topics not discovered")

    def send(self, image, labels=None) -> FrameRecord:
        """Publish one frame (its label map first, same header) and note when."""
        record = self.record(image.header)
        record.sent = time.perf_counter()
        if labels is not None:
            self.labels_pub.publish(labels)
        self.image_pub.publish(image)
        return record

    def done(self) -> list[tuple[int, int]]:
        """Stamps of the frames whose outputs all came back, in order."""
        with self._lock:
            return sorted(k for k, r in self.records.items() if r.done.is_set())

    def wait_for_tail(self, records: list[FrameRecord], timeout: float) -> None:
        """Wait until every record is done, or nothing came back for a while (dropped
        frames): 3x the slowest round trip seen, at least 5 s; never beyond ``timeout``."""
        deadline = time.perf_counter() + timeout
        last_count, last_change = -1, time.perf_counter()
        while time.perf_counter() < deadline:
            back = [r for r in records if r.done.is_set()]
            if len(back) == len(records):
                return
            now = time.perf_counter()
            if len(back) != last_count:
                last_count, last_change = len(back), now
            slowest = max((r.arrived["decoded"] - r.sent for r in back if r.sent), default=0.0)
            if now - last_change > max(5.0, 3 * slowest):
                return
            time.sleep(0.05)

    def close(self) -> None:
        """Stop spinning, destroy the nodes (a reconstruction in progress is cancelled) and
        shut the context down."""
        import rclpy

        if self.executor is not None:
            self.executor.shutdown()
            self._spinner.join(timeout=5.0)  # no spinning thread may outlive the context
        for node in self._nodes:
            node.destroy_node()
        self._nodes = []
        rclpy.try_shutdown(context=self.context)
