"""``spic_encoder`` (vehicle side): sensor_msgs/Image -> spic_ros/msg/SemanticFrame.

Subscribes ``image_topic`` (sensor-data QoS by default) and publishes on ``output_topic``
(default ``<image_topic>/spic``, image_transport style) with the image header copied.
With ``labels_topic`` set, mono8 label images with the same header stamp are coded as the
SSM instead of running the segmenter (ground-truth coding, synthetic demo clips).
Bad frames are rejected with a throttled log and counted; the node keeps running.
"""

from __future__ import annotations

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image

from spic.codecs import CODECS, DEFAULT_MAX_PIXELS
from spic.labelsets import LABEL_SETS
from spic.pipeline import EncoderConfig, SemanticEncoder
from spic.segmentation import SEGMENTERS
from spic_ros.diagnostics import NodeStats, diagnostic_array
from spic_ros.frame_message import payload_to_msg
from spic_ros.image_conversion import array_to_image, image_to_labels, image_to_rgb
from spic_ros.msg import SemanticFrame
from spic_ros.params import (Param, choice, declare, existing_file_or_empty, key_value_list,
                             one_of, parse_options, topic_name)
from spic_ros.qos import INPUT_QOS_CHOICES, input_qos, reliable_qos
from spic_ros.stamp_pairing import StampPairer


def _lossless_codec(name: str) -> str | None:
    error = one_of(CODECS)(name)
    if error is None and not CODECS.get(name).lossless:
        error = f"SSM codec {name!r} is not lossless"
    return error


PARAMS = [
    Param("image_topic", "/camera/image_raw", "camera image topic (sensor_msgs/Image)",
          validator=topic_name, read_only=True),
    Param("output_topic", "", "SemanticFrame topic; empty: <image_topic>/spic",
          validator=topic_name, read_only=True),
    Param("labels_topic", "", "optional mono8 label images paired by stamp, coded instead of "
          "segmenting", validator=topic_name, read_only=True),
    Param("label_set", "camvid11", "label set of the labels_topic maps",
          validator=choice(*LABEL_SETS), read_only=True),
    Param("segmenter", "spic", "segmenter registry name", validator=one_of(SEGMENTERS)),
    Param("segmenter_model", "", "model file for the segmenter (empty: its default)",
          validator=existing_file_or_empty),
    Param("segmenter_options", [], "extra segmenter options as KEY=VALUE strings",
          validator=key_value_list),
    Param("ssm_codec", "flif", "lossless SSM codec registry name", validator=_lossless_codec),
    Param("coarse_codec", "bpg", "coarse-image codec registry name", validator=one_of(CODECS)),
    Param("coarse_quality", 35, "coarse codec quality (codec-specific scale)",
          int_range=(0, 100)),
    Param("downscale", 4, "coarse image = area average of downscale x downscale blocks",
          int_range=(1, 16)),
    Param("max_pixels", DEFAULT_MAX_PIXELS, "refuse input images above this many pixels",
          int_range=(1, 2**31 - 1)),
    Param("input_qos", "sensor_data", "camera QoS: sensor_data or reliable",
          validator=choice(*INPUT_QOS_CHOICES), read_only=True),
    Param("input_depth", 5, "camera subscription queue depth", int_range=(1, 1000),
          read_only=True),
    Param("output_depth", 10, "SemanticFrame publisher queue depth (reliable)",
          int_range=(1, 1000), read_only=True),
    Param("publish_ssm", False, "also publish the encoder's SSM (mono8) on <output_topic>/ssm",
          read_only=True),
    Param("diagnostics_period", 1.0, "seconds between /diagnostics messages",
          float_range=(0.1, 60.0), read_only=True),
]

#: Parameters whose change rebuilds the encoding pipeline.
_PIPELINE_PARAMS = {"segmenter", "segmenter_model", "segmenter_options", "ssm_codec",
                    "coarse_codec", "coarse_quality", "downscale"}


class EncoderNode(Node):
    """Vehicle-side node; see the module docstring. ``stats`` holds its counters."""

    def __init__(self, node_name: str = "spic_encoder", **kwargs: Any) -> None:
        super().__init__(node_name, **kwargs)
        self.params = declare(self, PARAMS)
        p = self.params
        self.stats = NodeStats()
        self.encoder = self._build_encoder()
        self.output_topic = p["output_topic"] or p["image_topic"].rstrip("/") + "/spic"
        self.publisher = self.create_publisher(SemanticFrame, self.output_topic,
                                               reliable_qos(p["output_depth"]))
        self.ssm_publisher = (self.create_publisher(Image, self.output_topic + "/ssm",
                                                    reliable_qos(p["output_depth"]))
                              if p["publish_ssm"] else None)
        camera_qos = input_qos(p["input_qos"], p["input_depth"])
        if p["labels_topic"]:
            self.pairer = StampPairer(self.encode_frame, capacity=max(4, p["input_depth"]))
            self.create_subscription(Image, p["image_topic"], self._on_image_paired, camera_qos)
            self.create_subscription(Image, p["labels_topic"], self.pairer.add_second,
                                     camera_qos)
        else:
            self.create_subscription(Image, p["image_topic"], self.encode_frame, camera_qos)
        self.diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(p["diagnostics_period"], self._publish_diagnostics)
        self.add_post_set_parameters_callback(self._on_parameters_set)
        self.get_logger().info(
            f"{p['image_topic']} -> {self.output_topic}: segmenter "
            f"{'labels from ' + p['labels_topic'] if p['labels_topic'] else p['segmenter']}, "
            f"SSM {p['ssm_codec']}, coarse {p['coarse_codec']} q{p['coarse_quality']} "
            f"1/{p['downscale']}")

    def _build_encoder(self) -> SemanticEncoder:
        p = self.params
        options = parse_options(p["segmenter_options"])
        if p["segmenter_model"]:
            options["model"] = p["segmenter_model"]
        config = EncoderConfig(segmenter=p["segmenter"], segmenter_options=options,
                               ssm_codec=p["ssm_codec"], coarse_codec=p["coarse_codec"],
                               coarse_quality=p["coarse_quality"], downscale=p["downscale"])
        encoder = SemanticEncoder(config)
        if not p["labels_topic"]:
            encoder.segmenter  # load the model now: a bad model fails at start-up, not per frame
        return encoder

    def _on_parameters_set(self, changed: list[Parameter]) -> None:
        names = {param.name for param in changed}
        for param in changed:
            self.params[param.name] = param.value
        if names & _PIPELINE_PARAMS:
            try:
                self.encoder = self._build_encoder()
            except Exception as exc:  # e.g. a model that fails to load: keep the running pipeline
                self.get_logger().error(f"pipeline not rebuilt, keeping the previous one: {exc!r}")
                return
            self.get_logger().info(f"pipeline rebuilt after changing {sorted(names)}")

    def _on_image_paired(self, msg: Image) -> None:
        self.stats.count("frames_in")
        self.pairer.add_first(msg)

    def encode_frame(self, msg: Image, labels_msg: Image | None = None) -> None:
        """Encode one image (with its paired label image, if any) and publish the result."""
        if labels_msg is None:
            self.stats.count("frames_in")
        start = time.perf_counter()
        encoder = self.encoder  # one pipeline per frame, even if parameters change meanwhile
        try:
            rgb = image_to_rgb(msg, self.params["max_pixels"])
            if labels_msg is not None:
                ssm = image_to_labels(labels_msg, self.params["max_pixels"])
                label_set = self.params["label_set"]
            convert_done = time.perf_counter()
            if labels_msg is None:
                ssm = encoder.segmenter.segment(rgb)
                label_set = encoder.segmenter.label_set.id
            segment_done = time.perf_counter()
            payload = encoder.encode(rgb, ssm=ssm, label_set=label_set, encoding=msg.encoding)
        except ValueError as exc:  # every SpicError; also shape/label-set mismatches
            self.stats.count("frames_rejected", type(exc).__name__)
            self.get_logger().warning(f"rejected frame: {exc}", throttle_duration_sec=5.0)
            return
        except Exception as exc:  # a failing part must not take the node down
            self.stats.count("frames_failed", type(exc).__name__)
            self.get_logger().error(f"failed to encode frame: {exc!r}", throttle_duration_sec=5.0)
            return
        out = payload_to_msg(payload, msg.header)
        self.publisher.publish(out)
        if self.ssm_publisher is not None:
            self.ssm_publisher.publish(array_to_image(ssm, msg.header))
        self.stats.count("frames_out")
        bpp = payload.bpp()
        values = {"bytes": payload.num_bytes, "bpp_total": bpp["total"], "bpp_ssm": bpp["ssm"],
                  "bpp_coarse": bpp["coarse"], "latency_convert_ms": 1e3 * (convert_done - start),
                  "latency_segment_ms": 1e3 * (segment_done - convert_done),
                  "latency_total_ms": 1e3 * (time.perf_counter() - start)}
        values.update({f"latency_{k}_ms": 1e3 * v for k, v in encoder.timings.items()})
        self.stats.record(values)

    def _publish_diagnostics(self) -> None:
        self.diagnostics.publish(diagnostic_array(self.get_clock().now().to_msg(),
                                                  f"spic_encoder: {self.get_name()}", self.stats))


def main(args: list[str] | None = None) -> int:
    """Console script ``spic_encoder`` (ROS arguments: ``--ros-args -p key:=value``)."""
    from spic_ros.runner import spin_nodes
    return spin_nodes([EncoderNode], args)
