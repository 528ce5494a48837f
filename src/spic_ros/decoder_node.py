"""``spic_decoder`` (remote side): spic_ros/msg/SemanticFrame -> sensor_msgs/Image (rgb8).

Subscribes ``input_topic`` (reliable, bounded depth) and publishes the reconstruction with the
original header on ``output_topic`` and the decoded SSM (mono8) on ``ssm_topic`` (default
``<output_topic>/ssm``, so two cameras never share it; ``publish_ssm: false`` turns it off).
Decoding runs on a worker thread that always takes the newest frame: when decoding is slower
than the input, older frames are skipped and counted (``frames_dropped``), never queued.
Bad payloads are rejected with a throttled log and counted; the node keeps running.
The default reconstructor is ``scsrdm`` (the embedded CamVid model); frames it refuses (another
label set or downscale, a frame above its size limit) are rebuilt by ``fallback_reconstructor``
(default ``bicubic``), counted (``frames_fallback``) and logged, never dropped.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image

from spic.codecs import DEFAULT_MAX_PIXELS
from spic.pipeline import DecoderConfig, SemanticDecoder
from spic.reconstruction import RECONSTRUCTORS
from spic_ros.diagnostics import NodeStats, diagnostic_array
from spic_ros.frame_message import msg_to_payload
from spic_ros.image_conversion import array_to_image
from spic_ros.latest_slot import LatestSlot
from spic_ros.msg import SemanticFrame
from spic_ros.params import Param, declare, key_value_list, one_of, parse_options, topic_name
from spic_ros.qos import reliable_qos

PARAMS = [
    Param("input_topic", "/camera/image_raw/spic", "SemanticFrame topic",
          validator=topic_name, read_only=True),
    Param("output_topic", "/camera/image_decoded", "reconstructed image topic (rgb8)",
          validator=topic_name, read_only=True),
    Param("publish_ssm", True, "publish the decoded SSM (mono8) on ssm_topic", read_only=True),
    Param("ssm_topic", "", "decoded SSM topic; empty: <output_topic>/ssm (one per camera)",
          validator=topic_name, read_only=True),
    Param("reconstructor", "scsrdm", "reconstructor registry name (bicubic: fast, no model)",
          validator=one_of(RECONSTRUCTORS), read_only=True),
    Param("reconstructor_options", [], "extra reconstructor options as KEY=VALUE strings",
          validator=key_value_list, read_only=True),
    Param("fallback_reconstructor", "bicubic", "reconstructor for frames the main one refuses "
          "(another label set or downscale, too large); empty: reject them",
          validator=one_of(RECONSTRUCTORS, allow_empty=True), read_only=True),
    Param("max_pixels", DEFAULT_MAX_PIXELS, "refuse frames declaring more pixels than this",
          int_range=(1, 2**31 - 1), read_only=True),
    Param("input_depth", 10, "SemanticFrame subscription queue depth (reliable)",
          int_range=(1, 1000), read_only=True),
    Param("output_depth", 10, "image publisher queue depth (reliable)", int_range=(1, 1000),
          read_only=True),
    Param("diagnostics_period", 1.0, "seconds between /diagnostics messages",
          float_range=(0.1, 60.0), read_only=True),
]


class DecoderNode(Node):
    """Remote-side node; see the module docstring. ``stats`` holds its counters."""

    #: Counters beyond :data:`NodeStats.COUNTERS`.
    EXTRA_COUNTERS = ("frames_fallback",)

    def __init__(self, node_name: str = "spic_decoder", **kwargs: Any) -> None:
        super().__init__(node_name, **kwargs)
        self.params = p = declare(self, PARAMS)
        self.stats = NodeStats(self.EXTRA_COUNTERS)
        self.decoder = SemanticDecoder(DecoderConfig(
            reconstructor=p["reconstructor"],
            reconstructor_options=parse_options(p["reconstructor_options"]),
            max_pixels=p["max_pixels"], fallback=p["fallback_reconstructor"] or None))
        self.publisher = self.create_publisher(Image, p["output_topic"],
                                               reliable_qos(p["output_depth"]))
        ssm_topic = p["ssm_topic"] or p["output_topic"].rstrip("/") + "/ssm"
        self.ssm_publisher = (self.create_publisher(Image, ssm_topic,
                                                    reliable_qos(p["output_depth"]))
                              if p["publish_ssm"] else None)
        self.create_subscription(SemanticFrame, p["input_topic"], self._on_frame,
                                 reliable_qos(p["input_depth"]))
        self.diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(p["diagnostics_period"], self._publish_diagnostics)
        self._slot: LatestSlot[tuple[SemanticFrame, float]] = LatestSlot()
        self._worker = threading.Thread(target=self._work, name="spic_decoder", daemon=True)
        self._worker.start()
        fallback = p["fallback_reconstructor"] or "none (reject)"
        self.get_logger().info(f"{p['input_topic']} -> {p['output_topic']}: reconstructor "
                               f"{p['reconstructor']}, fallback {fallback}")

    def _on_frame(self, msg: SemanticFrame) -> None:
        self.stats.count("frames_in")
        if self._slot.put((msg, time.perf_counter())):
            self.stats.count("frames_dropped")

    def _work(self) -> None:
        while True:
            item = self._slot.take()
            if item is None:
                return  # closed
            self.decode_frame(*item)

    def decode_frame(self, msg: SemanticFrame, received: float | None = None) -> None:
        """Decode one SemanticFrame and publish the image (and SSM); count rejects."""
        start = time.perf_counter()
        try:
            payload = msg_to_payload(msg)
            frame = self.decoder.decode(payload)
        except ValueError as exc:  # every SpicError and unknown codec / label-set names
            self.stats.count("frames_rejected", type(exc).__name__)
            self.get_logger().warning(f"rejected frame: {exc}", throttle_duration_sec=5.0)
            return
        except Exception as exc:  # a failing part must not take the node down
            self.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to decode frame: {exc!r}", throttle_duration_sec=5.0)
            return
        if frame.fallback_reason is not None:
            self.stats.count("frames_fallback")
            self.get_logger().warning(
                f"{self.params['reconstructor']} refused a frame, rebuilt it with "
                f"{self.params['fallback_reconstructor']}: {frame.fallback_reason}",
                throttle_duration_sec=5.0)
        self.publisher.publish(array_to_image(frame.rgb, msg.header))
        if self.ssm_publisher is not None:
            self.ssm_publisher.publish(array_to_image(frame.ssm, msg.header))
        self.stats.count("frames_out")
        now = time.perf_counter()
        values = {"bytes": payload.num_bytes, "bpp_total": payload.bpp()["total"],
                  "latency_total_ms": 1e3 * (now - start)}
        if received is not None:
            values["latency_queue_ms"] = 1e3 * (start - received)
        values.update({f"latency_{k}_ms": 1e3 * v for k, v in self.decoder.timings.items()})
        self.stats.record(values)

    def _publish_diagnostics(self) -> None:
        self.diagnostics.publish(diagnostic_array(self.get_clock().now().to_msg(),
                                                  f"spic_decoder: {self.get_name()}", self.stats))

    def destroy_node(self) -> None:
        self._slot.close()
        self._worker.join(timeout=5.0)
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    """Console script ``spic_decoder`` (ROS arguments: ``--ros-args -p key:=value``)."""
    from spic_ros.runner import spin_nodes
    return spin_nodes([DecoderNode], args)
