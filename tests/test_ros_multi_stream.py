"""One ``spic_decoder`` serving several streams with one model: each stream's frames come out
on its own topic, with its own map reference chain, counters and /diagnostics status."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.testing import wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(120)]
STREAMS = ("front", "rig/rear")


def test_stream_parameters_are_checked():
    from spic_ros.decoder_node import relative_topic_refusal, stream_names, stream_refusal

    assert stream_names(" front, /rig/rear/ ,") == ["front", "rig/rear"]
    assert stream_refusal("front,rig/rear") is None and stream_refusal("") is None
    assert "named twice" in stream_refusal("front,/front")
    assert "not a namespace" in stream_refusal("front,9lives")
    assert relative_topic_refusal("image_raw/spic") is None
    assert "not a relative topic" in relative_topic_refusal("/abs/spic")


def test_one_decoder_serves_every_stream_on_its_own_topics(ros):
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic.synthetic import synthetic_clip
    from spic_ros.decoder_node import DecoderNode
    from spic_ros.frame_message import payload_to_msg
    from spic_ros.image_conversion import image_to_labels
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    name = f"multi_decoder_{os.getpid()}"
    decoder = DecoderNode(node_name=name, parameter_overrides=[
        Parameter("streams", value=",".join(STREAMS)), Parameter("reconstructor", value="bicubic"),
        Parameter("diagnostics_period", value=0.2)])
    node = Node("test_streams")
    lock = threading.Lock()
    decoded = {s: [] for s in STREAMS}
    maps = {s: [] for s in STREAMS}
    statuses: dict[str, dict[str, str]] = {}

    def on_diagnostics(msg):
        with lock:
            for status in msg.status:
                statuses[status.name] = {kv.key: kv.value for kv in status.values}

    for stream in STREAMS:
        node.create_subscription(Image, f"/{stream}/image_decoded",
                                 lambda m, s=stream: decoded[s].append(m.header.stamp.sec),
                                 reliable_qos(50))
        node.create_subscription(Image, f"/{stream}/image_decoded/ssm",
                                 lambda m, s=stream: maps[s].append(image_to_labels(m)),
                                 reliable_qos(50))
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    publishers = {s: node.create_publisher(SemanticFrame, f"/{s}/image_raw/spic",
                                           reliable_qos(50)) for s in STREAMS}
    executor = MultiThreadedExecutor(3)
    executor.add_node(decoder)
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    # inter-coded maps: each stream's chain must stay its own although both share the model
    clips = {s: synthetic_clip(3, 96, 64, seed=i) for i, s in enumerate(STREAMS)}
    try:
        assert wait_for(lambda: all(p.get_subscription_count() for p in publishers.values()), 30)
        for stream, clip in clips.items():
            encoder = SemanticEncoder(EncoderConfig(keyframe_interval=3))
            for sec, frame in enumerate(clip, start=1):
                msg = payload_to_msg(encoder.encode(frame.rgb, ssm=frame.labels,
                                                    label_set="camvid11"))
                msg.header.stamp.sec = sec
                publishers[stream].publish(msg)
                assert wait_for(lambda: sec in decoded[stream], 30), (stream, decoded)
        assert wait_for(lambda: all(len(maps[s]) == 3 for s in STREAMS), 30), maps
        base = f"spic_decoder: {name}"
        assert wait_for(lambda: all(statuses.get(f"{base}/{s}", {}).get("frames_out") == "3"
                                    for s in STREAMS), 30), statuses
    finally:
        executor.shutdown()
        decoder.destroy_node()
        node.destroy_node()
    for stream, clip in clips.items():
        assert decoded[stream] == [1, 2, 3]
        for got, frame in zip(maps[stream], clip):
            assert np.array_equal(got, frame.labels), stream  # exact maps, inter-coded too
        counters = next(s for s in decoder.streams if s.name == stream).stats.counters
        assert counters["frames_in"] == counters["frames_out"] == 3
        assert counters["frames_rejected"] == counters["frames_failed"] == 0
