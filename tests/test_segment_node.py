"""The vehicle node (``spic_encoder``, a real process over Fast DDS) runs with each backend.

A camera frame goes in; the node's SSM (``<output>/ssm``) and the SSM inside its
SemanticFrame must equal what the same backend gives in this process.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

import rclpy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from spic.codecs import create_codec  # noqa: E402
from spic.datasets import load_samples, read_rgb  # noqa: E402
from spic.segmentation import create_segmenter  # noqa: E402
from spic_ros.image_conversion import array_to_image, image_to_labels  # noqa: E402
from spic_ros.msg import SemanticFrame  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(180)]


def _backends(models_dir: Path) -> dict[str, tuple[list[str], dict]]:
    espnet = models_dir / "espnet_camvid.onnx"
    return {
        "spic": (["-p", "segmenter:=spic"], {}),
        "onnx": (["-p", "segmenter:=onnx", "-p", f"segmenter_model:={espnet}"],
                 {"model": str(espnet)}),
    }


@pytest.mark.parametrize("backend", ["spic", "onnx"])
def test_vehicle_node_segments_with_backend(backend, models_dir, camvid_dir, tmp_path):
    node_args, options = _backends(models_dir)[backend]
    rgb = read_rgb(load_samples(f"camvid:{camvid_dir}", "val")[7].image)
    expected = create_segmenter(backend, threads=1, **options).segment(rgb)
    domain = random.randint(1, 200)
    env = {**os.environ, "ROS_DOMAIN_ID": str(domain), "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
           "ROS_LOG_DIR": str(tmp_path / "log"), "PYTHONUNBUFFERED": "1"}
    os.environ.update({k: env[k] for k in ("ROS_AUTOMATIC_DISCOVERY_RANGE", "ROS_LOG_DIR")})
    cmd = [sys.executable, "-c", "from spic_ros.encoder_node import main; raise SystemExit(main())",
           "--ros-args", "-p", "image_topic:=/seg_test/image", "-p", "publish_ssm:=true",
           "-p", "segmenter_options:=threads=1", "-p", "input_qos:=reliable", *node_args]
    log = open(tmp_path / "node.log", "w")
    node_proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    rclpy.init(domain_id=domain)
    node = rclpy.create_node("seg_node_test")
    got: dict[str, object] = {}
    node.create_subscription(Image, "/seg_test/image/spic/ssm",
                             lambda m: got.setdefault("ssm", image_to_labels(m)), 10)
    node.create_subscription(SemanticFrame, "/seg_test/image/spic",
                             lambda m: got.setdefault("frame", m), 10)
    publisher = node.create_publisher(Image, "/seg_test/image", 10)
    try:
        deadline = time.monotonic() + 150
        while len(got) < 2 and time.monotonic() < deadline:
            assert node_proc.poll() is None, (tmp_path / "node.log").read_text()
            if publisher.get_subscription_count() and not got:
                publisher.publish(array_to_image(rgb))
            rclpy.spin_once(node, timeout_sec=1.0)
        assert len(got) == 2, "no output from the node: " + (tmp_path / "node.log").read_text()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        node_proc.terminate()
        node_proc.wait(timeout=30)
        log.close()
    frame = got["frame"]
    assert frame.label_set == "camvid11" and (frame.width, frame.height) == (480, 360)
    ssm = got["ssm"]
    coded = create_codec(frame.ssm_codec).decode(bytes(frame.ssm_data))
    assert np.array_equal(coded.reshape(ssm.shape), ssm)
    assert (ssm == expected).mean() > 0.999
