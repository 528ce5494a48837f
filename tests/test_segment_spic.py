"""The ``spic`` backend: SpicSegNet, its checkpoints, the embedded default and ONNX parity."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from spic.datasets import load_samples, read_labels, read_rgb
from spic.segmentation import SEGMENTERS, FrameError, create_segmenter
from spic.segmentation.checkpoint import CheckpointError, load_model, save_model
from spic.segmentation.export import export_onnx
from spic.confusion import ConfusionMatrix
from spic.segmentation.spic_net import SpicSegNet, SpicSegNetConfig
from spic.segmentation.spic_segmenter import DEFAULT_WEIGHTS, SpicSegmenter

TINY = SpicSegNetConfig(stem_channels=8, channels=(8, 16, 16), blocks=(1, 1, 1),
                        decoder_channels=8)


@pytest.mark.parametrize("h, w", [(16, 16), (23, 41), (360, 480)])
def test_network_output_matches_input_size(h, w):
    with torch.no_grad():
        out = SpicSegNet(TINY).eval()(torch.rand(1, 3, h, w))
    assert out.shape == (1, 11, h, w)


def test_checkpoint_round_trip_and_errors(tmp_path):
    model = SpicSegNet(TINY).eval()
    save_model(model, tmp_path / "w")
    loaded = load_model(tmp_path / "w")
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    config = json.loads((tmp_path / "w" / "config.json").read_text())
    (tmp_path / "w" / "config.json").write_text(json.dumps({**config, "channels": [8, 16, 32]}))
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(tmp_path / "w")
    with pytest.raises(CheckpointError, match="cannot load"):
        load_model(tmp_path / "missing")


def test_embedded_default_is_small_and_documented():
    files = {p.name: p.stat().st_size for p in DEFAULT_WEIGHTS.iterdir()}
    assert {"model.safetensors", "config.json", "MODEL_CARD.md"} <= set(files)
    assert files["model.safetensors"] <= 5 * 1024 * 1024


@pytest.fixture(scope="module")
def val_frames(camvid_dir):
    samples = load_samples(f"camvid:{camvid_dir}", "val")[::25]
    return [(read_rgb(s.image), read_labels(s.labels)) for s in samples]


def test_embedded_default_segments_camvid(val_frames):
    seg = SEGMENTERS.create("spic", threads=1)
    assert seg.label_set.id == "camvid11"
    cm = ConfusionMatrix(11)
    for rgb, truth in val_frames:
        labels = seg.segment(rgb)
        assert labels.shape == truth.shape and labels.dtype == np.uint8
        cm.update(truth, labels)
    assert cm.pixel_accuracy() > 0.75, "the embedded weights look untrained"


def test_spic_backend_rejects_bad_frames():
    seg = SpicSegmenter(threads=1)
    for bad in (np.zeros((32, 32), np.uint8), np.zeros((32, 32, 3), np.float64),
                np.zeros((8, 64, 3), np.uint8), [[1, 2, 3]]):
        with pytest.raises(FrameError):
            seg.segment(bad)
    with pytest.raises(FrameError, match="limit"):
        SpicSegmenter(threads=1, max_pixels=100 * 100).segment(np.zeros((101, 100, 3), np.uint8))


def test_onnx_export_gives_the_same_labels(tmp_path, val_frames):
    onnx_path, sidecar = export_onnx(tmp_path / "spic_seg.onnx")
    assert json.loads(sidecar.read_text())["label_set"] == "camvid11"
    torch_seg = create_segmenter("spic", threads=1, runtime="torch")
    runtimes = [create_segmenter("onnx", model=str(onnx_path), threads=1),
                create_segmenter("spic", threads=1)]  # default runtime: in-memory ONNX
    odd = np.ascontiguousarray(val_frames[0][0][:123, :217])  # dynamic sizes survive export
    for seg in runtimes:
        assert seg.label_set == torch_seg.label_set
        for rgb in [frame for frame, _ in val_frames] + [odd]:
            a, b = torch_seg.segment(rgb), seg.segment(rgb)
            assert a.shape == b.shape == rgb.shape[:2]
            assert (a == b).mean() > 0.999


def test_unknown_runtime_is_rejected():
    with pytest.raises(ValueError, match="runtime"):
        SpicSegmenter(runtime="tensorrt")


def test_embedded_weights_ship_their_onnx_graph_hash_checked(tmp_path):
    """Start-up loads the shipped graph (no export); it is the export of exactly these weights,
    and a graph that no longer matches its weights is refused, not run."""
    import shutil

    from spic.segmentation.export import ONNX_FILE, onnx_bytes, shipped_onnx

    import hashlib

    graph = shipped_onnx(DEFAULT_WEIGHTS)
    assert graph is not None  # compared by digest: a failing bytes diff of 3 MB takes minutes
    exported = onnx_bytes(load_model(DEFAULT_WEIGHTS))
    assert hashlib.sha256(graph).hexdigest() == hashlib.sha256(exported).hexdigest()
    folder = tmp_path / "weights"
    shutil.copytree(DEFAULT_WEIGHTS, folder)
    frame = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    assert np.array_equal(SpicSegmenter(folder).segment(frame),
                          SpicSegmenter(DEFAULT_WEIGHTS).segment(frame))
    model = load_model(folder)
    with torch.no_grad():
        next(model.parameters()).add_(0.5)  # retrained weights, stale graph
    save_model(model, folder)
    with pytest.raises(CheckpointError, match="not made from these weights"):
        SpicSegmenter(folder)
    (folder / ONNX_FILE).unlink()  # a folder without a graph is exported at load
    assert SpicSegmenter(folder).segment(frame).shape == (64, 96)
