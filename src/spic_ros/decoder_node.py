"""``spic_decoder`` (remote side): spic_ros/msg/SemanticFrame -> sensor_msgs/Image (rgb8).

Subscribes ``input_topic`` (reliable, bounded depth) and publishes the reconstruction with the
original header on ``output_topic`` and the decoded SSM (mono8) on ``ssm_topic`` (default
``<output_topic>/ssm``, so two cameras never share it; ``publish_ssm: false`` turns it off).
Every frame's payload is checked and its map decoded on arrival (cheap, and inter-coded maps
need every previous map); reconstruction runs on a worker thread that always takes the newest
frame: when it is slower than the input, older frames are skipped and counted
(``frames_dropped``), never queued. An inter-coded map whose reference is missing (joined
mid-stream, a lost frame) is rejected and counted (``MissingReferenceError``) until the next
keyframe.
Bad payloads are rejected with a throttled log and counted; anything else that fails for one
frame (conversion, publishing) is counted in ``frames_failed``; the worker keeps going.
The default reconstructor is ``scsrdm`` (the embedded CamVid model); frames it refuses (another
label set or downscale, a frame above its size limit) are rebuilt by ``fallback_reconstructor``,
counted (``frames_fallback``) and logged, never dropped. On shutdown a reconstruction in
progress is cancelled between diffusion steps, so the node stops within one step.

One node serves several streams (cameras, vehicles) with one model: ``streams:=front,left``
subscribes ``/<stream>/<stream_input_topic>`` for each and publishes on
``/<stream>/<stream_output_topic>`` (and ``.../ssm``); each stream has its own map reference
chain, counters and /diagnostics status (``spic_decoder: <node>/<stream>``). Each round the
worker reconstructs the newest frame of up to ``max_batch`` streams together, in one batched
model pass (the streams in turn when there are more), so one busy stream cannot starve another.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.publisher import Publisher
from sensor_msgs.msg import Image

from spic.cancellation import Cancelled, cancel_when, raise_if_cancelled
from spic.codecs import CODECS
from spic.payload import SemanticPayload
from spic.pipeline import (DecodedFrame, DecoderConfig, SemanticDecoder, decode_together,
                           ssm_codec_refusal)
from spic.reconstruction import RECONSTRUCTORS
from spic_ros.diagnostics import (HealthThresholds, NodeStats, diagnostic_array, diagnostic_name,
                                  diagnostic_status, threshold_params)
from spic_ros.frame_message import msg_to_payload
from spic_ros.image_conversion import array_to_image
from spic_ros.latest_slot import RoundRobinWorker
from spic_ros.msg import SemanticFrame
from spic_ros.params import (ConfigurationError, Param, codec_names, declare, format_options,
                             key_value_options, name_list, one_of, parse_options, topic_name)
from spic_ros.qos import reliable_qos

#: The core defaults every parameter of the pipeline derives from.
CORE = DecoderConfig()
#: Seconds ``destroy_node`` waits for the worker: a cancelled reconstruction ends within one
#: diffusion step, well inside launch's 5 s SIGINT grace period.
WORKER_STOP_TIMEOUT = 3.0

PARAMS = [
    Param("input_topic", "/camera/image_raw/spic", "SemanticFrame topic",
          validator=topic_name, read_only=True),
    Param("output_topic", "/camera/image_decoded", "reconstructed image topic (rgb8)",
          validator=topic_name, read_only=True),
    Param("publish_ssm", True, "publish the decoded SSM (mono8) on ssm_topic", read_only=True),
    Param("ssm_topic", "", "decoded SSM topic; empty: <output_topic>/ssm (one per camera)",
          validator=topic_name, read_only=True),
    Param("streams", "", "stream namespaces served by this node's one model, e.g. front,left "
          "(/<stream>/<stream_input_topic> -> /<stream>/<stream_output_topic>, in turn); empty: "
          "the one stream input_topic -> output_topic", validator=lambda v: stream_refusal(v),
          read_only=True),
    Param("stream_input_topic", "image_raw/spic",
          "with streams: the SemanticFrame topic relative to each stream's namespace",
          validator=lambda v: relative_topic_refusal(v), read_only=True),
    Param("stream_output_topic", "image_decoded",
          "with streams: the image topic relative to each stream's namespace (SSM on .../ssm)",
          validator=lambda v: relative_topic_refusal(v), read_only=True),
    Param("max_batch", 8, "with streams: frames of up to this many streams (the newest of "
          "each) reconstructed together in one batched pass; 1: one frame at a time",
          int_range=(1, 64), read_only=True),
    Param("reconstructor", CORE.reconstructor,
          "reconstructor registry name (bicubic: fast, no model)",
          validator=one_of(RECONSTRUCTORS), read_only=True),
    Param("reconstructor_options", format_options(CORE.reconstructor_options),
          "extra reconstructor options, KEY=VALUE[,KEY=VALUE...]",
          validator=key_value_options, read_only=True),
    Param("fallback_reconstructor", CORE.fallback or "",
          "reconstructor for frames the main one refuses (another label set or downscale, "
          "too large); empty: reject them",
          validator=one_of(RECONSTRUCTORS, allow_empty=True), read_only=True),
    Param("max_pixels", CORE.max_pixels, "refuse frames declaring more pixels than this",
          int_range=(1, 2**31 - 1), read_only=True),
    Param("max_pixels_per_byte", CORE.max_pixels_per_byte,
          "refuse frames declaring more pixels per coded byte than this (amplification)",
          int_range=(1, 2**31 - 1), read_only=True),
    Param("ssm_codecs", ",".join(CORE.ssm_codecs or ()),
          "SSM codecs accepted, NAME[,NAME...]; empty: every lossless, checked one",
          validator=codec_names(ssm_codec_refusal), read_only=True),
    Param("coarse_codecs", ",".join(CORE.coarse_codecs), "coarse codecs accepted, NAME[,NAME...]",
          validator=codec_names(one_of(CODECS)), read_only=True),
    Param("input_depth", 10, "SemanticFrame subscription queue depth (reliable)",
          int_range=(1, 1000), read_only=True),
    Param("output_depth", 10, "image publisher queue depth (reliable)", int_range=(1, 1000),
          read_only=True),
    Param("diagnostics_period", 1.0, "seconds between /diagnostics messages",
          float_range=(0.1, 60.0), read_only=True),
    *threshold_params(),
]


def relative_topic_refusal(value: str) -> str | None:
    """Why ``value`` is no topic name relative to a namespace, or None."""
    if not value or value.startswith(("/", "~")):
        return f"{value!r} is not a relative topic name (e.g. image_raw/spic)"
    return topic_name(value)


def stream_refusal(value: str) -> str | None:
    """Why ``value`` is no list of distinct stream namespaces, or None."""
    names = stream_names(value)
    bad = [name for name in names if relative_topic_refusal(name)]
    if bad:
        return f"stream {bad[0]!r} is not a namespace (letters, digits, _ and /)"
    if len(set(names)) != len(names):
        return "a stream is named twice"
    return None


def stream_names(value: str) -> list[str]:
    """``"front, /rig/left/"`` -> ``["front", "rig/left"]``."""
    return [name.strip("/") for name in name_list(value)]


@dataclass
class Stream:
    """One SemanticFrame input and everything that belongs to it alone."""

    name: str                    # "" for the node's single stream
    decoder: SemanticDecoder     # its own map reference chain; the model is shared
    publisher: Publisher
    ssm_publisher: Publisher | None
    stats: NodeStats
    hardware_id: str             # the camera's frame_id once seen


@dataclass
class _Accepted:
    """A frame whose payload was checked and map decoded on arrival, waiting for the model."""

    msg: SemanticFrame
    payload: SemanticPayload
    ssm: np.ndarray
    received: float      # perf_counter() on arrival
    map_seconds: float   # spent checking the payload and decoding its map


def decoder_config(p: dict[str, Any]) -> DecoderConfig:
    """The core configuration these parameter values describe."""
    return DecoderConfig(reconstructor=p["reconstructor"],
                         reconstructor_options=parse_options(p["reconstructor_options"]),
                         fallback=p["fallback_reconstructor"] or None,
                         max_pixels=p["max_pixels"], max_pixels_per_byte=p["max_pixels_per_byte"],
                         ssm_codecs=name_list(p["ssm_codecs"]) or None,
                         coarse_codecs=name_list(p["coarse_codecs"]))


class DecoderNode(Node):
    """Remote-side node; see the module docstring. ``streams`` holds each stream's state;
    ``stats`` and ``decoder`` are the first stream's (the only one without ``streams``)."""

    #: Counters beyond :data:`NodeStats.COUNTERS`.
    EXTRA_COUNTERS = ("frames_fallback",)

    def __init__(self, node_name: str = "spic_decoder", **kwargs: Any) -> None:
        # set before anything can fail: rclpy destroys a half-built node on shutdown
        self._worker: RoundRobinWorker[_Accepted] | None = None
        super().__init__(node_name, **kwargs)
        self.params = p = declare(self, PARAMS)
        try:
            decoder = SemanticDecoder(decoder_config(p))
        except Exception as exc:  # unknown options, missing or corrupt weights, ...
            raise ConfigurationError(
                f"cannot create reconstructor {p['reconstructor']!r} (options "
                f"{p['reconstructor_options']!r}, fallback {p['fallback_reconstructor']!r}): "
                f"{exc}") from exc
        names = stream_names(p["streams"])
        if names:
            topics = [(name, f"/{name}/{p['stream_input_topic']}",
                       f"/{name}/{p['stream_output_topic']}", "") for name in names]
        else:
            topics = [("", p["input_topic"], p["output_topic"], p["ssm_topic"])]
        self.streams = [self._stream(name, decoder if i == 0 else decoder.for_another_stream(),
                                     *topic_names)
                        for i, (name, *topic_names) in enumerate(topics)]
        self.decoder, self.stats = self.streams[0].decoder, self.streams[0].stats
        for index, (_name, input_topic, _out, _ssm) in enumerate(topics):
            self.create_subscription(SemanticFrame, input_topic,
                                     lambda msg, i=index: self._on_frame(i, msg),
                                     reliable_qos(p["input_depth"]))
        self.diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(p["diagnostics_period"], self._publish_diagnostics)
        self.add_post_set_parameters_callback(self._on_parameters_set)
        self._worker = RoundRobinWorker("spic_decoder", self._decode_round,
                                        lambda: self.context.ok(), slots=len(self.streams),
                                        batch=p["max_batch"])
        self._worker.start()
        fallback = p["fallback_reconstructor"] or "none (reject)"
        precision = getattr(decoder.reconstructor, "precision", None)
        runs_in = f" in {precision.describe()}" if precision is not None else ""
        for _name, input_topic, output_topic, _ssm in topics:
            self.get_logger().info(f"{input_topic} -> {output_topic}: reconstructor "
                                   f"{p['reconstructor']}{runs_in}, fallback {fallback}")

    def _stream(self, name: str, decoder: SemanticDecoder, input_topic: str, output_topic: str,
                ssm_topic: str) -> Stream:
        depth = reliable_qos(self.params["output_depth"])
        ssm_topic = ssm_topic or output_topic.rstrip("/") + "/ssm"
        return Stream(name, decoder, self.create_publisher(Image, output_topic, depth),
                      self.create_publisher(Image, ssm_topic, depth)
                      if self.params["publish_ssm"] else None,
                      NodeStats(self.EXTRA_COUNTERS), self.get_fully_qualified_name())

    def _on_parameters_set(self, changed: list[Parameter]) -> None:
        self.params.update({param.name: param.value for param in changed})

    def _on_frame(self, index: int, msg: SemanticFrame) -> None:
        stream = self.streams[index]
        stream.stats.count("frames_in")
        received = time.perf_counter()
        stream.hardware_id = msg.header.frame_id or stream.hardware_id
        try:
            payload = msg_to_payload(msg)
            ssm = stream.decoder.decode_map(payload)
        except ValueError as exc:  # every SpicError and unknown codec / label-set names
            self._reject(stream, exc)
            return
        except Exception as exc:  # a failing codec must not take the node down
            stream.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to decode a map: {exc!r}", throttle_duration_sec=5.0)
            return
        accepted = _Accepted(msg, payload, ssm, received, time.perf_counter() - received)
        if self._worker.put(accepted, index):
            stream.stats.count("frames_dropped")

    def _reject(self, stream: Stream, exc: ValueError) -> None:
        stream.stats.count("frames_rejected", type(exc).__name__)
        self.get_logger().warning(f"rejected frame{self._of(stream)}: {exc}",
                                  throttle_duration_sec=5.0)

    @staticmethod
    def _of(stream: Stream) -> str:
        return f" of stream {stream.name}" if stream.name else ""

    def _decode_round(self, items: list[tuple[int, _Accepted]]) -> None:
        """The worker's job: the newest frame of up to ``max_batch`` streams, reconstructed
        together. One frame's failure ends only it; stopping the node (destroyed, or its
        context shut down by SIGINT) cancels the round."""
        jobs = [(self.streams[index], item) for index, item in items]
        try:
            with cancel_when(self._worker.stopping):
                self.decode_frames(jobs)
        except Cancelled:
            return
        except Exception as exc:  # not one frame's error: count it for every frame of the round
            if self._worker.stopping():
                return  # publishers go away during shutdown
            for stream, _item in jobs:
                stream.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to decode {len(jobs)} frame(s): {exc!r}",
                                    throttle_duration_sec=5.0)

    def decode_frames(self, jobs: list[tuple[Stream, _Accepted]]) -> None:
        """Reconstruct accepted frames (at most one per stream; maps decoded on arrival) in
        one batch and publish each image (and SSM) on its stream; count each stream's rejects
        and failures."""
        start = time.perf_counter()
        results = decode_together([(stream.decoder, item.payload, item.ssm)
                                   for stream, item in jobs])
        raise_if_cancelled()  # shut down meanwhile: nothing left to publish or log to
        for (stream, item), result in zip(jobs, results):
            if isinstance(result, ValueError):  # every SpicError, unknown codec / label set
                self._reject(stream, result)
                continue
            try:
                if isinstance(result, Exception):  # a failing part must not take the node down
                    raise result
                self._publish(stream, item, result, start, len(jobs))
            except Exception as exc:
                if self._worker is not None and self._worker.stopping():
                    return  # publishers go away during shutdown
                stream.stats.count("frames_failed", type(exc).__name__)
                self.get_logger().error(f"failed to decode or publish frame{self._of(stream)}: "
                                        f"{exc!r}", throttle_duration_sec=5.0)

    def _publish(self, stream: Stream, item: _Accepted, frame: DecodedFrame, start: float,
                 batch: int) -> None:
        """Publish one decoded frame on its stream and record its statistics (``batch``:
        the frames reconstructed with it)."""
        if frame.fallback_reason is not None:
            stream.stats.count("frames_fallback")
            self.get_logger().warning(
                f"{self.params['reconstructor']} refused a frame, rebuilt it with "
                f"{self.params['fallback_reconstructor']}: {frame.fallback_reason}",
                throttle_duration_sec=5.0)
        stream.publisher.publish(array_to_image(frame.rgb, item.msg.header))
        if stream.ssm_publisher is not None:
            stream.ssm_publisher.publish(array_to_image(frame.ssm, item.msg.header))
        stream.stats.count("frames_out")
        now = time.perf_counter()
        values = {"bytes": item.payload.num_bytes, "bpp_total": item.payload.bpp()["total"],
                  "latency_total_ms": 1e3 * (now - item.received),
                  "latency_queue_ms": 1e3 * (start - item.received - item.map_seconds),
                  "latency_ssm_decode_ms": 1e3 * item.map_seconds, "batch_frames": batch}
        values.update({f"latency_{k}_ms": 1e3 * v for k, v in stream.decoder.timings.items()})
        stream.stats.record(values)

    def _publish_diagnostics(self) -> None:
        stamp, base = self.get_clock().now().to_msg(), diagnostic_name("spic_decoder", self)
        limits = HealthThresholds.from_params(self.params)
        self.diagnostics.publish(diagnostic_array(stamp, [
            diagnostic_status(f"{base}/{s.name}" if s.name else base, s.hardware_id, s.stats,
                              limits) for s in self.streams]))

    def destroy_node(self) -> None:
        """Cancel the reconstruction in progress (between diffusion steps), then destroy."""
        if self._worker is not None:
            self._worker.stop(WORKER_STOP_TIMEOUT)
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    """Console script ``spic_decoder`` (ROS arguments: ``--ros-args -p key:=value``)."""
    from spic_ros.runner import spin_nodes
    return spin_nodes([DecoderNode], args)
