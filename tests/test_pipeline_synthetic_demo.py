"""The synthetic clip and the no-argument main job (``spic-demo``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spic.synthetic import LABEL_SET, synthetic_clip, write_clip


def test_synthetic_clip_is_deterministic_labelled_and_moving():
    a, b = synthetic_clip(3, 160, 120, seed=1), synthetic_clip(3, 160, 120, seed=1)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.rgb, y.rgb)
        np.testing.assert_array_equal(x.labels, y.labels)
    frame = a[0]
    assert frame.rgb.shape == (120, 160, 3) and frame.labels.shape == (120, 160)
    present = set(np.unique(frame.labels))
    assert present <= set(range(LABEL_SET.num_classes)) and len(present) >= 9
    assert not np.array_equal(a[0].labels, a[2].labels)  # things move
    # each class is rendered in its own colour range: the RGB frame carries the semantics
    means = [frame.rgb[frame.labels == c].mean(axis=0) for c in (0, 3, 8)]
    assert min(np.abs(means[i] - means[j]).max() for i in range(3) for j in range(i)) > 30


def test_write_clip(tmp_path):
    images, labels = write_clip(tmp_path, synthetic_clip(2, 64, 48))
    assert sorted(p.name for p in images.iterdir()) == ["0000.png", "0001.png"]
    assert sorted(p.name for p in labels.iterdir()) == ["0000.png", "0001.png"]


@pytest.mark.ros
@pytest.mark.timeout(180)
def test_demo_without_arguments_writes_frames_sheet_and_summary(tmp_path):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.testing import isolated_ros_env

    env = isolated_ros_env(tmp_path / "ros_log")
    demo = Path(sys.executable).parent / "spic-demo"
    out = tmp_path / "demo"
    result = subprocess.run([str(demo), "--frames", "3", "-o", str(out)],  # the nodes' defaults
                            capture_output=True, text=True, timeout=170,
                            env={**__import__("os").environ, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bytes/frame" in result.stdout and "latency" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames_decoded"] == summary["frames_sent"] == 3
    assert summary["labels"] == "ground truth" and summary["size"] == [480, 360]
    assert all(f["ssm_exact"] for f in summary["frames"])
    assert 0 < summary["bpp"]["total"] < 1 and summary["psnr_db_mean"] > 20
    assert summary["counters"]["decoder"]["frames_rejected"] == 0
    # the default reconstructor is SCSRDM, trained on camvid11 maps and BPG q35 coarse images
    assert summary["reconstructor"] == "scsrdm" and "reconstructor scsrdm" in result.stdout
    assert summary["counters"]["decoder"]["frames_fallback"] == 0
    assert sorted(p.name for p in (out / "frames").iterdir()) == ["0000.png", "0001.png", "0002.png"]
    from PIL import Image
    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.width == 4 * 480 and sheet.height == 3 * (360 + 18)


@pytest.mark.ros
@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", ["bag", "folder"])
def test_demo_accepts_a_bag_or_an_image_folder(kind, tmp_path, camvid_dir):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    import os

    from spic_ros.bag_io import images_to_bag
    from spic_ros.testing import isolated_ros_env

    if kind == "bag":
        source = tmp_path / "bag"
        images_to_bag(camvid_dir / "val", source, labels=camvid_dir / "valannot", limit=2)
        extra = []
    else:
        images, labels = write_clip(tmp_path / "clip", synthetic_clip(2, 96, 72))
        source, extra = images, ["--labels", str(labels)]
    env = {**os.environ, **isolated_ros_env(tmp_path / "ros_log")}
    out = tmp_path / "out"
    result = subprocess.run([str(Path(sys.executable).parent / "spic-demo"), str(source), "-o",
                             str(out), "--coarse-codec", "webp", "--ssm-codec", "png",
                             "--reconstructor", "bicubic", *extra],
                            capture_output=True, text=True, timeout=170, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames_decoded"] == 2 and summary["labels"] == "ground truth"
    assert summary["encoder"]["ssm_codec"] == "png" and summary["ssm_exact_all_frames"]
    assert summary["size"] == ([480, 360] if kind == "bag" else [96, 72])


@pytest.mark.ros
@pytest.mark.timeout(180)
def test_demo_on_a_live_topic(tmp_path, camvid_dir, models_dir):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    import os

    from spic_ros.bag_io import images_to_bag
    from spic_ros.testing import Process, isolated_ros_env

    bag = tmp_path / "bag"
    images_to_bag(camvid_dir / "val", bag, "/live/image", limit=3)
    env = isolated_ros_env(tmp_path / "ros_log")
    camera = Process.script("spic_bag_play", [str(bag), "--loop", "--qos", "sensor_data"],
                            tmp_path / "camera.log")
    try:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "spic-demo"), "/live/image", "--frames", "2",
             "-o", str(tmp_path / "out"), "--segmenter", "onnx",
             "--segmenter-model", str(models_dir / "espnet_camvid.onnx"), "--timeout", "120",
             "--reconstructor", "bicubic"],
            capture_output=True, text=True, timeout=170, env={**os.environ, **env})
    finally:
        assert camera.stop() == 0, camera.output()
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["frames_decoded"] == 2 and summary["labels"] == "segmenter"
    assert summary["ssm_exact_all_frames"] and summary["latency_ms"]["end_to_end_mean"] is None
