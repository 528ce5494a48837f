"""``spic_decoder`` with its default configuration, as its own process over Fast DDS: SCSRDM
rebuilds CamVid-labelled frames; a frame its model refuses is rebuilt by bicubic and counted."""

from __future__ import annotations

import os
import re
import threading

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.testing import Process, wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(180)]
DECODER = f"default_decoder_{os.getpid()}"  # unique diagnostics name


def _payloads():
    """A camvid11 payload the default model takes and a cityscapes19 one it refuses."""
    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic.synthetic import synthetic_clip

    frame = synthetic_clip(1, 160, 120)[0]
    encoder = SemanticEncoder(EncoderConfig())  # FLIF + BPG q35: the model's coarse codec
    return frame, {label_set: encoder.encode(frame.rgb, ssm=frame.labels, label_set=label_set)
                   for label_set in ("camvid11", "cityscapes19")}


def test_default_decoder_runs_scsrdm_and_falls_back_to_bicubic(ros, tmp_path):
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic.pipeline import DecoderConfig, SemanticDecoder
    from spic_ros.frame_message import payload_to_msg
    from spic_ros.image_conversion import image_to_rgb
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    decoder = Process.script("spic_decoder", [  # topics and diagnostics only: defaults otherwise
        "--ros-args", "-p", "input_topic:=/dflt/spic", "-p", "output_topic:=/dflt/decoded",
        "-p", "diagnostics_period:=0.5", "-r", f"__node:={DECODER}"], tmp_path / "decoder.log")
    node = Node("test_default_decoder")
    decoded: dict[int, object] = {}
    diagnostics: dict[str, str] = {}
    lock = threading.Lock()

    def on_decoded(msg):
        with lock:
            decoded[msg.header.stamp.sec] = msg

    def on_diagnostics(msg):
        for status in msg.status:
            if status.name == f"spic_decoder: {DECODER}":
                diagnostics.update({kv.key: kv.value for kv in status.values})

    publisher = node.create_publisher(SemanticFrame, "/dflt/spic", reliable_qos(10))
    node.create_subscription(Image, "/dflt/decoded", on_decoded, reliable_qos(10))
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    frame, payloads = _payloads()
    try:
        assert wait_for(lambda: publisher.get_subscription_count() > 0
                        and node.count_publishers("/dflt/decoded") > 0, 90), decoder.output()
        for stamp, label_set in enumerate(payloads, start=1):  # lock-step: none is skipped
            msg = payload_to_msg(payloads[label_set])
            msg.header.stamp.sec = stamp
            publisher.publish(msg)
            assert wait_for(lambda: stamp in decoded, 90), decoder.output()
        assert wait_for(lambda: diagnostics.get("frames_out") == "2", 10), diagnostics
        assert decoder.running()
    finally:
        executor.shutdown()
        spinner.join(timeout=5.0)
        node.destroy_node()
        status = decoder.stop()
    assert status == 0, decoder.output()
    assert re.search(r"reconstructor scsrdm in (float32|float32 frozen graphs|bf16 frozen "
                     r"graphs|onnxruntime) \((AMX|measured: [^)]*)\), fallback bicubic",
                     decoder.output())
    bicubic = SemanticDecoder(DecoderConfig(reconstructor="bicubic"))
    scsrdm_rgb, fallback_rgb = (image_to_rgb(decoded[stamp]) for stamp in (1, 2))
    assert scsrdm_rgb.shape == fallback_rgb.shape == frame.rgb.shape
    assert decoded[1].encoding == "rgb8" and scsrdm_rgb.dtype == np.uint8
    # camvid11 at 1/4: the diffusion model rebuilt it, not the bicubic baseline
    baseline = bicubic.decode(payloads["camvid11"]).rgb
    assert np.abs(scsrdm_rgb.astype(int) - baseline).mean() > 0.5
    assert np.abs(scsrdm_rgb.astype(int) - frame.rgb).mean() < 40
    # cityscapes19: refused by the CamVid model, rebuilt by bicubic, counted, not dropped
    np.testing.assert_array_equal(fallback_rgb, bicubic.decode(payloads["cityscapes19"]).rgb)
    assert diagnostics["frames_fallback"] == "1" and diagnostics["frames_rejected"] == "0"
    assert "refused a frame" in decoder.output()


def test_reconstructor_parameters_default_to_scsrdm_with_a_bicubic_fallback():
    from spic_ros.decoder_node import PARAMS

    params = {p.name: p for p in PARAMS}
    assert params["reconstructor"].default == "scsrdm"
    assert params["reconstructor"].validator("") is not None
    fallback = params["fallback_reconstructor"]
    assert fallback.default == "bicubic"
    assert fallback.validator("bicubic") is None and fallback.validator("") is None  # "": reject
    assert "unknown reconstructor" in fallback.validator("nope")


@pytest.mark.timeout(60)
def test_decoder_refuses_an_unknown_fallback_at_start_up(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from spic_ros.testing import isolated_ros_env

    env = {**os.environ, **isolated_ros_env(tmp_path)}
    result = subprocess.run([str(Path(sys.executable).parent / "spic_decoder"), "--ros-args",
                             "-p", "fallback_reconstructor:=nope"], capture_output=True,
                            text=True, timeout=50, env=env)
    assert result.returncode == 1
    assert "unknown reconstructor" in result.stderr and "Traceback" not in result.stderr, \
        result.stderr


def test_ssm_topic_follows_the_output_topic(ros):
    """Two cameras' decoders never share an SSM topic: it defaults to <output_topic>/ssm."""
    from rclpy.parameter import Parameter

    from spic_ros.decoder_node import DecoderNode

    nodes = []
    try:
        for camera in ("front", "rear"):
            nodes.append(DecoderNode(node_name=f"ssm_topic_{camera}", parameter_overrides=[
                Parameter("input_topic", value=f"/cam/{camera}/spic"),
                Parameter("output_topic", value=f"/cam/{camera}/decoded"),
                Parameter("reconstructor", value="bicubic")]))
        topics = [n.streams[0].ssm_publisher.topic_name for n in nodes]
        assert topics == ["/cam/front/decoded/ssm", "/cam/rear/decoded/ssm"]
        off = DecoderNode(node_name="ssm_topic_off", parameter_overrides=[
            Parameter("reconstructor", value="bicubic"), Parameter("publish_ssm", value=False)])
        nodes.append(off)
        assert off.streams[0].ssm_publisher is None
    finally:
        for n in nodes:
            n.destroy_node()
