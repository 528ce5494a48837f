"""Encoder and decoder nodes as two separate processes over Fast DDS, fed from a CamVid bag."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.testing import Process, wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(180)]
FRAMES = 4
ENCODER, DECODER = f"encoder_{os.getpid()}", f"decoder_{os.getpid()}"  # unique diagnostics names



def test_bag_frames_come_back_at_size_with_the_encoders_ssm(ros, tmp_path, camvid_dir, models_dir):
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic_ros.bag_io import images_to_bag
    from spic_ros.bag_replay import play_bag
    from spic_ros.image_conversion import image_to_labels, image_to_rgb
    from spic_ros.qos import reliable_qos

    bag = tmp_path / "camvid_val"
    assert images_to_bag(camvid_dir / "val", bag, "/cam/image", fps=5, limit=FRAMES) == FRAMES
    encoder = Process.script("spic_encoder", [
        "--ros-args", "-p", "image_topic:=/cam/image", "-p", "segmenter:=onnx",
        "-p", f"segmenter_model:={models_dir / 'espnet_camvid.onnx'}", "-p", "ssm_codec:=png",
        "-p", "coarse_codec:=webp", "-p", "coarse_quality:=80", "-p", "input_qos:=reliable",
        "-p", "input_depth:=50", "-p", "keep_latest:=false",  # every frame of the bag, in order
        "-p", "publish_ssm:=true", "-p", "diagnostics_period:=0.5",
        "-r", f"__node:={ENCODER}"],
        tmp_path / "encoder.log")
    decoder = Process.script("spic_decoder", [
        "--ros-args", "-p", "input_topic:=/cam/image/spic", "-p", "output_topic:=/cam/decoded",
        "-p", "ssm_topic:=/cam/decoded/ssm", "-p", "input_depth:=50",
        "-p", "reconstructor:=bicubic",  # plumbing test: the fast reconstructor
        "-p", "diagnostics_period:=0.5", "-r", f"__node:={DECODER}"], tmp_path / "decoder.log")
    node = Node("test_two_process")
    received: dict[str, dict] = {"decoded": {}, "ssm": {}, "encoder_ssm": {}}
    diagnostics: dict[str, dict] = {}
    lock = threading.Lock()

    def keep(kind):
        def on_message(msg):
            with lock:
                received[kind][(msg.header.stamp.sec, msg.header.stamp.nanosec)] = msg
        return on_message

    def on_diagnostics(msg):
        for status in msg.status:
            diagnostics[status.name] = {kv.key: kv.value for kv in status.values}
            diagnostics[status.name]["hardware_id"] = status.hardware_id

    qos = reliable_qos(50)
    node.create_subscription(Image, "/cam/decoded", keep("decoded"), qos)
    node.create_subscription(Image, "/cam/decoded/ssm", keep("ssm"), qos)
    node.create_subscription(Image, "/cam/image/spic/ssm", keep("encoder_ssm"), qos)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        # the decoder's outputs are matched once the whole chain is up
        assert wait_for(lambda: node.count_publishers("/cam/decoded") > 0
                        and node.count_publishers("/cam/image/spic/ssm") > 0, 60), \
            encoder.output() + decoder.output()
        assert play_bag(node, bag, rate=0, wait_subscribers=1, discovery_timeout=60) == FRAMES
        assert wait_for(lambda: all(len(v) == FRAMES for v in received.values()), 90), (
            {k: len(v) for k, v in received.items()}, encoder.output(), decoder.output())
        # each node reports its counters on /diagnostics (under the node name given above)
        assert wait_for(lambda: all(diagnostics.get(name, {}).get("frames_out") == str(FRAMES)
                                    for name in (f"spic_encoder: {ENCODER}",
                                                 f"spic_decoder: {DECODER}")), 10), diagnostics
        assert encoder.running() and decoder.running()
    finally:
        executor.shutdown()
        node.destroy_node()
        encoder_status, decoder_status = encoder.stop(), decoder.stop()

    assert (encoder_status, decoder_status) == (0, 0), encoder.output() + decoder.output()
    from spic.datasets import read_rgb
    from spic_ros.bag_io import list_images
    originals = [read_rgb(p) for p in list_images(camvid_dir / "val")[:FRAMES]]
    for i, key in enumerate(sorted(received["decoded"])):
        decoded = image_to_rgb(received["decoded"][key])
        assert decoded.shape == originals[i].shape == (360, 480, 3)
        ssm, encoder_ssm = (image_to_labels(received[k][key]) for k in ("ssm", "encoder_ssm"))
        np.testing.assert_array_equal(ssm, encoder_ssm)
        assert ssm.max() <= 11 and len(np.unique(ssm)) >= 3  # a real segmentation, not a blank map
        assert np.mean(np.abs(decoded.astype(int) - originals[i])) < 20  # a plausible rebuild
    stats = diagnostics[f"spic_encoder: {ENCODER}"]
    assert stats["frames_in"] == stats["frames_out"] == str(FRAMES)
    # the camera's frame_id, as diagnostic_updater users expect
    assert stats["hardware_id"] == diagnostics[f"spic_decoder: {DECODER}"]["hardware_id"] == "camera"
    assert float(stats["bpp_total"]) > 0


def test_composed_process_runs_both_nodes(ros, tmp_path):
    """``spic_composed``: encoder + decoder in one process, configured from both YAML files."""
    from pathlib import Path

    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic.synthetic import synthetic_clip
    from spic_ros.image_conversion import array_to_image, image_to_labels, image_to_rgb
    from spic_ros.qos import reliable_qos

    config = Path(__file__).resolve().parents[1] / "config"
    composed = Process.script("spic_composed", [
        "--ros-args", "--params-file", str(config / "encoder.yaml"),
        "--params-file", str(config / "decoder.yaml"),
        "-p", "spic_encoder:image_topic:=/comp/image", "-p", "spic_encoder:labels_topic:=/comp/labels",
        "-p", "spic_encoder:input_qos:=reliable", "-p", "spic_encoder:ssm_codec:=png",
        "-p", "spic_encoder:coarse_codec:=webp",
        "-p", "spic_decoder:input_topic:=/comp/image/spic", "-p", "spic_decoder:output_topic:=/comp/out",
        "-p", "spic_decoder:ssm_topic:=/comp/out/ssm"], tmp_path / "composed.log")
    node = Node("test_composed")
    got = {"image": [], "ssm": []}
    node.create_subscription(Image, "/comp/out", got["image"].append, reliable_qos(10))
    node.create_subscription(Image, "/comp/out/ssm", got["ssm"].append, reliable_qos(10))
    image_pub = node.create_publisher(Image, "/comp/image", reliable_qos(10))
    labels_pub = node.create_publisher(Image, "/comp/labels", reliable_qos(10))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    frame = synthetic_clip(1, 64, 48)[0]
    try:
        assert wait_for(lambda: image_pub.get_subscription_count() > 0
                        and labels_pub.get_subscription_count() > 0
                        and node.count_publishers("/comp/out/ssm") > 0, 60), composed.output()
        image = array_to_image(frame.rgb)
        image.header.stamp.sec = 42
        labels_pub.publish(array_to_image(frame.labels, image.header))
        image_pub.publish(image)
        assert wait_for(lambda: got["image"] and got["ssm"], 30), composed.output()
    finally:
        executor.shutdown()
        node.destroy_node()
        assert composed.stop() == 0, composed.output()
    assert got["image"][0].header.stamp.sec == 42
    assert image_to_rgb(got["image"][0]).shape == frame.rgb.shape
    np.testing.assert_array_equal(image_to_labels(got["ssm"][0]), frame.labels)
