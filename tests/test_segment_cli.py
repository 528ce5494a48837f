"""``spic segment``, ``spic eval-segmenter`` and ``spic export-segmenter`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from spic.cli import main
from spic.datasets import load_samples


def test_segment_writes_labels_and_overlay(camvid_dir, tmp_path, capsys):
    image = load_samples(f"camvid:{camvid_dir}", "val")[3].image
    assert main(["segment", str(image), "-o", str(tmp_path / "l.png"),
                 "--color", str(tmp_path / "c.png"), "--threads", "1"]) == 0
    labels = np.array(Image.open(tmp_path / "l.png"))
    overlay = np.array(Image.open(tmp_path / "c.png"))
    assert labels.shape == (360, 480) and labels.max() <= 11
    assert overlay.shape == (360, 480, 3)
    assert "camvid11" in capsys.readouterr().out


def test_segment_with_onnx_backend_and_bad_input(models_dir, camvid_dir, tmp_path, capsys):
    image = load_samples(f"camvid:{camvid_dir}", "val")[3].image
    assert main(["segment", str(image), "-o", str(tmp_path / "l.png"), "--backend", "onnx",
                 "--model", str(models_dir / "espnet_camvid.onnx"), "--threads", "1"]) == 0
    (tmp_path / "bad.png").write_bytes(b"not a png")
    assert main(["segment", str(tmp_path / "bad.png"), "-o", str(tmp_path / "x.png")]) == 1
    assert main(["segment", str(image), "-o", str(tmp_path / "x.png"), "--backend", "nope"]) == 1
    assert "unknown segmenter" in capsys.readouterr().err


def test_eval_segmenter_reports_metrics_json(camvid_dir, tmp_path):
    out = tmp_path / "eval.json"
    assert main(["eval-segmenter", "--data", f"camvid:{camvid_dir}", "--split", "val",
                 "--limit", "3", "--threads", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())["results"]
    assert result["frames"] == 3 and 0 < result["miou"] <= 100
    assert set(result["per_class_iou"]) >= {"Sky", "Road", "Bicyclist"}
    assert result["ms_per_frame_median"] > 0 and result["peak_rss_mb"] > 0


def test_eval_segmenter_under_camera_conditions(camvid_dir, tmp_path):
    out = tmp_path / "eval.json"
    assert main(["eval-segmenter", "--data", f"camvid:{camvid_dir}", "--limit", "2",
                 "--threads", "1", "--json", str(out), "--condition", "clean",
                 "--condition", "dusk", "--condition", "noise"]) == 0
    result = json.loads(out.read_text())
    assert list(result["conditions"]) == ["clean", "dusk", "noise"]
    assert result["results"] == result["conditions"]["clean"]
    assert result["conditions"]["dusk"]["miou"] != result["conditions"]["clean"]["miou"]
    with pytest.raises(SystemExit, match="unknown condition"):
        main(["eval-segmenter", "--data", f"camvid:{camvid_dir}", "--condition", "fog"])


def test_conditions_are_repeatable_and_keep_the_frame_shape():
    from spic.segmentation.conditions import CONDITIONS

    rgb = np.random.default_rng(0).integers(0, 256, (36, 48, 3), dtype=np.uint8)
    for name, condition in CONDITIONS.items():
        out = condition(rgb, 3)
        assert out.shape == rgb.shape and out.dtype == np.uint8, name
        assert np.array_equal(out, condition(rgb, 3)), name  # the same frame, the same output
        assert (name == "clean") == np.array_equal(out, rgb), name
    assert CONDITIONS["dusk"](rgb, 0).mean() < 0.6 * rgb.mean()


def test_eval_maps_cityscapes_predictions_to_camvid(models_dir, camvid_dir, tmp_path):
    out = tmp_path / "eval.json"
    assert main(["eval-segmenter", "--data", f"camvid:{camvid_dir}", "--limit", "1",
                 "--backend", "onnx", "--model", str(models_dir / "espnetv2_cityscapes.onnx"),
                 "--option", "input_size=512x256", "--threads", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())["results"]
    assert result["label_set"] == "camvid11" and result["pixel_accuracy"] > 50


def test_export_segmenter_writes_onnx_and_sidecar(tmp_path):
    assert main(["export-segmenter", "-o", str(tmp_path / "seg.onnx")]) == 0
    sidecar = json.loads((tmp_path / "seg.json").read_text())
    assert sidecar["label_set"] == "camvid11" and sidecar["num_output_channels"] == 11
    assert (tmp_path / "seg.onnx").stat().st_size > 100_000
