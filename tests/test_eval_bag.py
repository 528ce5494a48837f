"""``spic_evaluate_bag``: a rosbag2 through the real encoder/decoder nodes (DDS) and offline."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from test_eval_harness import FRAMES, H, W, _frame, _write_colour_argmax_model

from spic.eval.psnr import psnr


@pytest.fixture(scope="module")
def bag_setup(tmp_path_factory) -> dict:
    from PIL import Image

    from spic_ros.bag_io import images_to_bag

    root = tmp_path_factory.mktemp("evalbag")
    (root / "img").mkdir()
    (root / "lab").mkdir()
    for i in range(FRAMES):
        rgb, labels = _frame(i)
        Image.fromarray(rgb).save(root / "img" / f"f{i}.png")
        Image.fromarray(labels).save(root / "lab" / f"f{i}.png")
    images_to_bag(root / "img", root / "bag", labels=root / "lab", fps=20.0)
    return {"bag": root / "bag", "root": root,
            "judge": _write_colour_argmax_model(root / "judge.onnx", 0.0),
            "vehicle": _write_colour_argmax_model(root / "vehicle.onnx", 0.05)}


def _run(setup: dict, mode: str, name: str, *extra: str) -> dict:
    from spic_ros.evaluate_bag import main

    out = setup["root"] / f"{name}.json"
    args = [str(setup["bag"]), "--mode", mode, "--segmenter", "onnx",
            "--segmenter-model", str(setup["vehicle"]), "--ssm-codec", "png",
            "--coarse-codec", "webp", "-q", "60", "--reconstructor", "bicubic",
            "--judge", str(setup["judge"]), "--metrics", "psnr,miou", "--out", str(out), *extra]
    assert main(args) == 0
    return json.loads(out.read_text())


def _expected_bpp(setup: dict) -> list[float]:
    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic.segmentation.onnx_segmenter import OnnxSegmenter

    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="webp",
                                            coarse_quality=60),
                              segmenter=OnnxSegmenter(str(setup["vehicle"])))
    return [8 * encoder.encode(_frame(i)[0]).num_bytes / (H * W) for i in range(FRAMES)]


def test_offline_report_measures_real_bytes_and_metrics(bag_setup):
    rep = _run(bag_setup, "offline", "offline")
    assert rep["reconstructor"] == "bicubic"
    assert rep["counters"] == {"decoder": {"frames_fallback": 0}}
    assert rep["frames"] == {"in_bag": FRAMES, "encoded": FRAMES, "decoded": FRAMES,
                             "dropped": 0}
    rates = rep["rate_and_bandwidth"]
    expected = _expected_bpp(bag_setup)
    assert rates["bpp"]["total"] == pytest.approx(np.mean(expected))
    assert rates["bag_fps"] == pytest.approx(20.0)
    assert rates["bytes_per_second_at_bag_fps"] == pytest.approx(
        np.mean(expected) * H * W / 8 * 20.0)
    for stage in ("encoder.segment", "encoder.coarse_encode", "decoder.reconstruct",
                  "end_to_end"):
        assert rep["latency_ms"][stage]["count"] == FRAMES
        assert 0 <= rep["latency_ms"][stage]["p50"] <= rep["latency_ms"][stage]["p99"]
    from spic.image_ops import area_downscale, upscale_to
    from spic.codecs import create_codec

    codec = create_codec("webp", quality=60)
    psnrs = []
    for i in range(FRAMES):
        rgb = _frame(i)[0]
        coarse = codec.decode(codec.encode(area_downscale(rgb, 4)))
        psnrs.append(psnr(rgb, upscale_to(coarse, W, H, 4)))
    assert rep["metrics"]["psnr_mean"] == pytest.approx(np.mean(psnrs))
    assert rep["metrics"]["frames_with_labels"] == FRAMES
    assert rep["metrics"]["miou_labels_of_originals"] == pytest.approx(1.0)
    assert 0 <= rep["metrics"]["miou_labels"] <= 1


@pytest.mark.ros
def test_nodes_lockstep_matches_offline_bytes(bag_setup, tmp_path, monkeypatch):
    monkeypatch.setenv("ROS_DOMAIN_ID", str(1 + (os.getpid() + 77) % 200))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.setenv("ROS_LOG_DIR", str(tmp_path))
    rep = _run(bag_setup, "nodes", "nodes", "--rate", "0")
    assert rep["frames"]["decoded"] == FRAMES and rep["frames"]["dropped"] == 0
    assert rep["counters"]["encoder"]["frames_out"] == FRAMES
    assert rep["counters"]["decoder"]["frames_dropped"] == 0
    assert rep["reconstructor"] == "bicubic" and rep["counters"]["decoder"]["frames_fallback"] == 0
    assert rep["rate_and_bandwidth"]["bpp"]["total"] == pytest.approx(
        np.mean(_expected_bpp(bag_setup)))
    lat = rep["latency_ms"]
    assert lat["end_to_end"]["count"] == FRAMES
    assert lat["end_to_end"]["p50"] >= lat["encoder.segment"]["p50"]
    assert "decoder.queue" in lat and "transport+encode" in lat


def test_missing_bag_is_a_clear_error(tmp_path, capsys):
    from spic_ros.evaluate_bag import main

    assert main([str(tmp_path / "nope"), "--mode", "offline"]) == 1
    assert "not a rosbag2" in capsys.readouterr().err
