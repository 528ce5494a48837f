"""``spic_encoder`` (vehicle side): sensor_msgs/Image -> spic_ros/msg/SemanticFrame.

Subscribes ``image_topic`` (sensor-data QoS by default) and publishes on ``output_topic``
(default ``<image_topic>/spic``, image_transport style) with the image header copied.
With ``labels_topic`` set, mono8 label images with the same header stamp are coded as the
SSM instead of running the segmenter (ground-truth coding, synthetic demo clips).
Bad frames are rejected with a throttled log and counted; the node keeps running.

Every camera frame is accounted for: published = ``frames_out`` + ``frames_dropped`` +
``frames_rejected`` + ``frames_failed`` (once the node is idle), and ``frames_in`` counts
those that reached the callback. Frames are dropped for one of these reasons
(``dropped[<reason>]`` on /diagnostics):

- ``before_callback``: lost between the camera and the callback (on the wire, or
  overwritten in the ``input_depth`` queue), seen as gaps in the publisher's sequence
  numbers (losses after a publisher's last received frame cannot be seen);
- ``replaced``: with ``keep_latest`` (the default) the callback only stores the newest frame
  and a worker thread takes it, so a frame arriving while another waits replaces it: the
  camera queue never holds stale frames behind a busy encoder;
- ``unpaired``: with ``labels_topic``, an image whose label map never came.

With ``keep_latest`` the work is a two-stage pipeline on two threads: one converts and
segments the newest frame, the other codes the map and the coarse image of the frame before
and publishes it (frames leave in order; the segmenter waits for the coder rather than
discard a segmented frame), so segmentation and coding overlap on a multi-core CPU.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.subscription import MessageInfo
from sensor_msgs.msg import Image
from std_msgs.msg import Empty

from spic.codecs import CODECS
from spic.labelsets import LABEL_SETS
from spic.pipeline import EncoderConfig, SemanticEncoder, ssm_codec_refusal
from spic.segmentation import SEGMENTERS
from spic_ros.diagnostics import (BEFORE_CALLBACK, HealthThresholds, NodeStats, diagnostic_array,
                                  diagnostic_name, diagnostic_status, threshold_params)
from spic_ros.frame_message import payload_to_msg
from spic_ros.image_conversion import array_to_image, image_to_labels, image_to_rgb
from spic_ros.latest_slot import LatestWorker
from spic_ros.msg import SemanticFrame
from spic_ros.params import (ConfigurationError, Param, choice, declare, existing_file_or_empty,
                             format_options, key_value_options, one_of, parse_options,
                             topic_name)
from spic_ros.qos import INPUT_QOS_CHOICES, input_qos, reliable_qos
from spic_ros.sequence_gaps import SequenceGaps
from spic_ros.stamp_pairing import StampPairer

#: The core defaults every parameter of the pipeline derives from.
CORE = EncoderConfig()
#: Seconds ``destroy_node`` waits for the frame being encoded (well inside launch's 5 s
#: SIGINT grace period).
WORKER_STOP_TIMEOUT = 3.0


@dataclass
class _Segmented:
    """A frame between the pipeline's stages: converted, its map made (or given)."""

    msg: Image
    rgb: np.ndarray
    ssm: np.ndarray
    label_set: str
    start: float       # perf_counter when its conversion began
    converted: float   # ... and when segmentation began
    segmented: float
    received: float | None


PARAMS = [
    Param("image_topic", "/camera/image_raw", "camera image topic (sensor_msgs/Image)",
          validator=topic_name, read_only=True),
    Param("output_topic", "", "SemanticFrame topic; empty: <image_topic>/spic",
          validator=topic_name, read_only=True),
    Param("labels_topic", "", "optional mono8 label images paired by stamp, coded instead of "
          "segmenting", validator=topic_name, read_only=True),
    Param("label_set", "camvid11", "label set of the labels_topic maps",
          validator=choice(*LABEL_SETS), read_only=True),
    Param("segmenter", CORE.segmenter, "segmenter registry name", validator=one_of(SEGMENTERS)),
    Param("segmenter_model", "", "model file for the segmenter (empty: its default)",
          validator=existing_file_or_empty),
    Param("segmenter_options", format_options(CORE.segmenter_options),
          "extra segmenter options, KEY=VALUE[,KEY=VALUE...]", validator=key_value_options),
    Param("ssm_codec", CORE.ssm_codec, "SSM codec registry name (lossless, checked)",
          validator=ssm_codec_refusal),
    Param("coarse_codec", CORE.coarse_codec, "coarse-image codec registry name",
          validator=one_of(CODECS)),
    Param("coarse_quality", CORE.coarse_quality,
          "coarse codec quality (BPG: 0..51, lower is better; webp/jpeg: 0..100)",
          int_range=(0, 100)),
    Param("downscale", CORE.downscale,
          "coarse image = area average of downscale x downscale blocks", int_range=(1, 16)),
    Param("max_pixels", CORE.max_pixels, "refuse input images above this many pixels",
          int_range=(1, 2**31 - 1)),
    Param("target_kbps", CORE.target_kbps,
          "mean link budget in kbit/s: the coarse quality then varies per frame (0: off)",
          float_range=(0.0, 1e6)),
    Param("frame_rate", CORE.frame_rate, "camera frames per second the budget is spread over",
          float_range=(0.1, 1000.0)),
    Param("max_frame_bytes", CORE.max_frame_bytes,
          "every SemanticFrame at most this many bytes, e.g. one radio datagram (0: no cap)",
          int_range=(0, 2**31 - 1)),
    Param("floor_quality", CORE.floor_quality,
          "worst coarse quality rate control may use (BPG QP); frames that do not fit even "
          "there are sent at it and counted (frames_over_budget)", int_range=(0, 100)),
    Param("keyframe_interval", CORE.keyframe_interval,
          "code every N-th map intra and the others against the previous map (slc); 1: all "
          "intra. A std_msgs/Empty on <output_topic>/request_keyframe forces a keyframe",
          int_range=(1, 100000)),
    Param("input_qos", "sensor_data", "camera QoS: sensor_data or reliable",
          validator=choice(*INPUT_QOS_CHOICES), read_only=True),
    Param("input_depth", 5, "camera subscription queue depth", int_range=(1, 1000),
          read_only=True),
    Param("keep_latest", True, "encode only the newest frame on a worker thread: one arriving "
          "while another waits replaces it (dropped[replaced]); false: encode every frame in "
          "arrival order, the backlog waiting in the input_depth queue (bag evaluation)",
          read_only=True),
    Param("output_depth", 10, "SemanticFrame publisher queue depth (reliable)",
          int_range=(1, 1000), read_only=True),
    Param("publish_ssm", False, "also publish the encoder's SSM (mono8) on <output_topic>/ssm",
          read_only=True),
    Param("diagnostics_period", 1.0, "seconds between /diagnostics messages",
          float_range=(0.1, 60.0), read_only=True),
    *threshold_params(),
]


def encoder_config(p: dict[str, Any]) -> EncoderConfig:
    """The core configuration these parameter values describe."""
    options = parse_options(p["segmenter_options"])
    if p["segmenter_model"]:
        options["model"] = p["segmenter_model"]
    return EncoderConfig(segmenter=p["segmenter"], segmenter_options=options,
                         ssm_codec=p["ssm_codec"], coarse_codec=p["coarse_codec"],
                         coarse_quality=p["coarse_quality"], downscale=p["downscale"],
                         max_pixels=p["max_pixels"], target_kbps=p["target_kbps"],
                         frame_rate=p["frame_rate"], max_frame_bytes=p["max_frame_bytes"],
                         floor_quality=p["floor_quality"],
                         keyframe_interval=p["keyframe_interval"])


#: Parameters whose change reloads the segmenter model.
_SEGMENTER_PARAMS = {"segmenter", "segmenter_model", "segmenter_options"}
#: Parameters whose change rebuilds the codecs (the loaded segmenter is kept).
_CODING_PARAMS = {"ssm_codec", "coarse_codec", "coarse_quality", "downscale", "max_pixels",
                  "target_kbps", "frame_rate", "max_frame_bytes", "floor_quality",
                  "keyframe_interval"}


class EncoderNode(Node):
    """Vehicle-side node; see the module docstring. ``stats`` holds its counters."""

    def __init__(self, node_name: str = "spic_encoder", **kwargs: Any) -> None:
        # set before anything can fail: rclpy destroys a half-built node on shutdown
        self._worker: LatestWorker[tuple[Image, Image | None, float]] = LatestWorker(
            "spic_segment", self._segment_newest, lambda: self.context.ok())
        self._coder: LatestWorker[_Segmented] = LatestWorker(
            "spic_code", self._code_next, lambda: self.context.ok())
        self._encoder_lock = threading.Lock()  # held while a frame is coded
        super().__init__(node_name, **kwargs)
        self.params = p = declare(self, PARAMS)
        self.stats = NodeStats(("frames_over_budget", "keyframes_requested"))
        self.hardware_id = self.get_fully_qualified_name()  # the camera's frame_id once seen
        try:
            self.encoder = self._build_encoder()
        except Exception as exc:  # unknown options, a model that does not load, ...
            raise ConfigurationError(f"cannot build the encoder (segmenter {p['segmenter']!r}, "
                                     f"options {p['segmenter_options']!r}): {exc}") from exc
        self.output_topic = p["output_topic"] or p["image_topic"].rstrip("/") + "/spic"
        self.publisher = self.create_publisher(SemanticFrame, self.output_topic,
                                               reliable_qos(p["output_depth"]))
        self.ssm_publisher = (self.create_publisher(Image, self.output_topic + "/ssm",
                                                    reliable_qos(p["output_depth"]))
                              if p["publish_ssm"] else None)
        self.gaps = SequenceGaps()
        camera_qos = input_qos(p["input_qos"], p["input_depth"])
        self.pairer = (StampPairer(self._queue, capacity=max(4, p["input_depth"]),
                                   on_evict=self._on_unpaired) if p["labels_topic"] else None)
        self.create_subscription(Image, p["image_topic"], self._on_image, camera_qos)
        if self.pairer is not None:
            self.create_subscription(Image, p["labels_topic"], self.pairer.add_second,
                                     camera_qos)
        self.create_subscription(Empty, self.output_topic + "/request_keyframe",
                                 self._on_keyframe_request, reliable_qos(1))
        self.diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(p["diagnostics_period"], self._publish_diagnostics)
        self.add_post_set_parameters_callback(self._on_parameters_set)
        if p["keep_latest"]:
            self._coder.start()
            self._worker.start()
        self.get_logger().info(
            f"{p['image_topic']} -> {self.output_topic}: segmenter "
            f"{'labels from ' + p['labels_topic'] if p['labels_topic'] else p['segmenter']}, "
            f"SSM {p['ssm_codec']}, coarse {p['coarse_codec']} q{p['coarse_quality']} "
            f"1/{p['downscale']}")

    def _build_encoder(self, previous: SemanticEncoder | None = None) -> SemanticEncoder:
        """A new pipeline; with ``previous``, its loaded segmenter and frame numbering go on."""
        encoder = SemanticEncoder(encoder_config(self.params),
                                  segmenter=previous.segmenter if previous else None)
        if previous is not None:
            encoder.next_sequence = previous.next_sequence
        elif not self.params["labels_topic"]:
            encoder.segmenter  # load the model now: a bad model fails at start-up, not per frame
        return encoder

    def _on_keyframe_request(self, _msg: Empty) -> None:
        self.stats.count("keyframes_requested")
        self.encoder.request_keyframe()

    def _on_parameters_set(self, changed: list[Parameter]) -> None:
        names = {param.name for param in changed}
        for param in changed:
            self.params[param.name] = param.value
        if names & (_SEGMENTER_PARAMS | _CODING_PARAMS):
            with self._encoder_lock:  # between frames: the old pipeline is idle, then closed
                keep = (None if names & _SEGMENTER_PARAMS or self.params["labels_topic"]
                        else self.encoder)
                try:
                    encoder = self._build_encoder(keep)
                except Exception as exc:  # e.g. a model that fails to load: keep running
                    self.get_logger().error(
                        f"pipeline not rebuilt, keeping the previous one: {exc!r}")
                    return
                previous, self.encoder = self.encoder, encoder
                previous.close()
            self.get_logger().info(f"pipeline rebuilt after changing {sorted(names)}")

    def _on_image(self, msg: Image, info: MessageInfo) -> None:
        """Camera callback: count the frame and those lost before it, then queue it."""
        self.stats.count("frames_in")
        lost = self.gaps.lost(info)
        if lost:
            self.stats.count("frames_dropped", BEFORE_CALLBACK, lost)
        elif not self.gaps.supported:
            self.get_logger().warning("the RMW gives no publication sequence numbers: frames "
                                      "lost before the callback are not counted", once=True)
        if self.pairer is not None:
            self.pairer.add_first(msg)
        else:
            self._queue(msg)

    def _on_unpaired(self, side: int, msg: Image) -> None:
        if side == 0:  # a camera frame; lone label maps are not frames
            self.stats.count("frames_dropped", "unpaired")

    def _queue(self, msg: Image, labels_msg: Image | None = None) -> None:
        """Hand a frame (and its label map) to the worker, or encode it now (``keep_latest``
        false)."""
        received = time.perf_counter()
        if not self.params["keep_latest"]:
            self.encode_frame(msg, labels_msg, received)
        elif self._worker.put((msg, labels_msg, received)):
            self.stats.count("frames_dropped", "replaced")

    def _segment_newest(self, item: tuple[Image, Image | None, float]) -> None:
        """The first stage's job: segment the newest frame, hand it to the coder."""
        segmented = self._segment(*item)  # counts its own rejects and failures
        if segmented is not None:
            self._coder.hand_over(segmented)  # waits while the coder is busy

    def _code_next(self, segmented: _Segmented) -> None:
        """The second stage's job: code and publish."""
        with self._encoder_lock:  # one pipeline per frame, even if parameters change meanwhile
            self._guarded(self._code, segmented)

    def _guarded(self, stage, *args) -> None:
        """``stage(*args)``; a frame that cannot be published is counted, not fatal."""
        try:
            stage(*args)
        except Exception as exc:
            if not (self._worker.stopping() or self._coder.stopping()):
                self.stats.count("frames_failed", type(exc).__name__)
                self.get_logger().error(f"failed to publish a frame: {exc!r}",
                                        throttle_duration_sec=5.0)
            # during shutdown the publishers go away: nothing to count

    def encode_frame(self, msg: Image, labels_msg: Image | None = None,
                     received: float | None = None) -> None:
        """Encode one image (with its paired label image, if any) and publish the result,
        on the calling thread; ``received``: when it was queued (``perf_counter``)."""
        segmented = self._segment(msg, labels_msg, received)
        if segmented is not None:
            with self._encoder_lock:
                self._code(segmented)

    def _segment(self, msg: Image, labels_msg: Image | None,
                 received: float | None) -> _Segmented | None:
        """Convert the frame and make its map; None when it was rejected (counted)."""
        start = time.perf_counter()
        self.hardware_id = msg.header.frame_id or self.hardware_id
        try:
            rgb = image_to_rgb(msg, self.params["max_pixels"])
            if labels_msg is not None:
                ssm = image_to_labels(labels_msg, self.params["max_pixels"])
                label_set = self.params["label_set"]
            converted = time.perf_counter()
            if labels_msg is None:
                segmenter = self.encoder.segmenter
                ssm = segmenter.segment(rgb)
                label_set = segmenter.label_set.id
        except ValueError as exc:  # every SpicError
            self.stats.count("frames_rejected", type(exc).__name__)
            self.get_logger().warning(f"rejected frame: {exc}", throttle_duration_sec=5.0)
            return None
        except Exception as exc:  # a failing part must not take the node down
            self.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to segment frame: {exc!r}",
                                    throttle_duration_sec=5.0)
            return None
        return _Segmented(msg, rgb, ssm, label_set, start, converted, time.perf_counter(),
                          received)

    def _code(self, frame: _Segmented) -> None:
        """Code the map and the coarse image, publish the SemanticFrame, record the stats."""
        msg, ssm, encoder = frame.msg, frame.ssm, self.encoder
        try:
            over_budget = encoder.rate.frames_over_budget if encoder.rate else 0
            payload = encoder.encode(frame.rgb, ssm=ssm, label_set=frame.label_set,
                                     encoding=msg.encoding)
            if encoder.rate and encoder.rate.frames_over_budget > over_budget:
                self.stats.count("frames_over_budget")
                self.get_logger().warning(
                    f"frame does not fit the budget even at coarse quality "
                    f"{self.params['floor_quality']}: sent anyway ({len(payload.to_bytes())} "
                    f"bytes)", throttle_duration_sec=5.0)
        except ValueError as exc:  # every SpicError; also shape/label-set mismatches
            self.stats.count("frames_rejected", type(exc).__name__)
            self.get_logger().warning(f"rejected frame: {exc}", throttle_duration_sec=5.0)
            return
        except Exception as exc:  # a failing part must not take the node down
            self.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to encode frame: {exc!r}", throttle_duration_sec=5.0)
            return
        if not self.context.ok():
            return  # shut down meanwhile (Ctrl-C): the publishers are gone
        self.publisher.publish(payload_to_msg(payload, msg.header))
        if self.ssm_publisher is not None:
            self.ssm_publisher.publish(array_to_image(ssm, msg.header))
        self.stats.count("frames_out")
        bpp = payload.bpp()
        values = {"bytes": payload.num_bytes, "bpp_total": bpp["total"], "bpp_ssm": bpp["ssm"],
                  "bpp_coarse": bpp["coarse"],
                  "latency_convert_ms": 1e3 * (frame.converted - frame.start),
                  "latency_segment_ms": 1e3 * (frame.segmented - frame.converted),
                  "latency_total_ms": 1e3 * (time.perf_counter() - frame.start)}
        if frame.received is not None:
            values["latency_queue_ms"] = 1e3 * (frame.start - frame.received)
        values.update({f"latency_{k}_ms": 1e3 * v for k, v in encoder.timings.items()})
        self.stats.record(values)

    def _publish_diagnostics(self) -> None:
        self.diagnostics.publish(diagnostic_array(self.get_clock().now().to_msg(), [
            diagnostic_status(diagnostic_name("spic_encoder", self), self.hardware_id,
                              self.stats, HealthThresholds.from_params(self.params))]))

    def destroy_node(self) -> None:
        """Stop the pipeline's threads (each finishes its frame; one waiting between them is
        discarded), close the pipeline, destroy."""
        deadline = time.monotonic() + WORKER_STOP_TIMEOUT
        coder_done = self._coder.stop(WORKER_STOP_TIMEOUT)  # first: releases a waiting segmenter
        segmenter_done = self._worker.stop(max(0.0, deadline - time.monotonic()))
        if coder_done and segmenter_done and hasattr(self, "encoder"):
            self.encoder.close()
        super().destroy_node()

def main(args: list[str] | None = None) -> int:
    """Console script ``spic_encoder`` (ROS arguments: ``--ros-args -p key:=value``)."""
    from spic_ros.runner import spin_nodes
    return spin_nodes([EncoderNode], args)
