"""The ``onnx`` backend: sidecar validation and real inference with the shared ESPNet model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from spic.datasets import load_samples, read_rgb
from spic.segmentation import SEGMENTERS, FrameError, create_segmenter
from spic.segmentation.onnx_segmenter import Sidecar, SidecarError


@pytest.fixture(scope="module")
def espnet_meta(models_dir) -> dict:
    return json.loads((models_dir / "espnet_camvid.json").read_text())


def test_shared_sidecars_load(models_dir):
    camvid = Sidecar.load(models_dir / "espnet_camvid.json")
    assert camvid.label_set.id == "camvid11" and camvid.num_output_channels == 12
    assert camvid.multiple_of == 8 and camvid.recommended_size == (480, 360)
    city = Sidecar.load(models_dir / "espnetv2_cityscapes.json")
    assert city.label_set.id == "cityscapes19" and city.multiple_of == 16
    assert city.allowed_size(480, 360) == (480, 352)


def _broken(meta: dict, change) -> dict:
    meta = json.loads(json.dumps(meta))
    change(meta)
    return meta


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("label_set"), "malformed"),
    (lambda m: m.update(label_set="ade20k"), "unknown label set"),
    (lambda m: m.update(num_output_channels="twelve"), "malformed"),
    (lambda m: m.update(num_output_channels=13), "output channels"),
    (lambda m: m.update(class_names="Sky,Building"), "not a list"),
    (lambda m: m["class_names"].reverse(), "not label set"),
    (lambda m: m.pop("input"), "malformed"),
    (lambda m: m["input"]["size_constraint"].update(multiple_of=0), "multiple_of"),
    (lambda m: m["recommended_camvid_input"].update(width=481), "size rule"),
])
def test_malformed_sidecar_is_rejected(tmp_path, espnet_meta, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken(espnet_meta, change)))
    with pytest.raises(SidecarError, match=message):
        Sidecar.load(path)


def test_unreadable_sidecar_is_rejected(tmp_path):
    with pytest.raises(SidecarError, match="cannot read"):
        Sidecar.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SidecarError, match="cannot read"):
        Sidecar.load(tmp_path / "bad.json")
    assert issubclass(SidecarError, ValueError)


def test_sidecar_must_match_the_model_outputs(tmp_path, models_dir, espnet_meta):
    model = tmp_path / "m.onnx"
    shutil.copy(models_dir / "espnet_camvid.onnx", model)
    meta = _broken(espnet_meta, lambda m: m.update(
        num_output_channels=20, class_names=m["class_names"] + [f"x{i}" for i in range(8)]))
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(SidecarError, match="outputs 12 channels"):
        create_segmenter("onnx", model=str(model), threads=1)


def test_onnx_backend_segments_camvid_frame(models_dir, camvid_dir):
    seg = SEGMENTERS.create("onnx", model=str(models_dir / "espnet_camvid.onnx"), threads=1)
    sample = load_samples(f"camvid:{camvid_dir}", "val")[0]
    rgb = read_rgb(sample.image)
    labels = seg.segment(rgb)
    assert labels.shape == rgb.shape[:2] and labels.dtype == np.uint8
    assert labels.max() <= 11 and len(np.unique(labels)) >= 4
    small = seg.segment(np.ascontiguousarray(rgb[::3, ::3]))  # resized to an allowed size and back
    assert small.shape == (120, 160)


def test_onnx_backend_rejects_bad_frames(models_dir):
    seg = create_segmenter("onnx", model=str(models_dir / "espnet_camvid.onnx"), threads=1)
    for bad in (np.zeros((8, 8), np.uint8), np.zeros((8, 8, 3), np.float32),
                np.zeros((8, 8, 4), np.uint8), np.zeros((0, 8, 3), np.uint8)):
        with pytest.raises(FrameError):
            seg.segment(bad)
    with pytest.raises(ValueError, match="model"):
        create_segmenter("onnx")
