"""The fast student's int8 onnxruntime graph: calibrated on fit frames, hash-checked, offered
only for the pass it was calibrated on."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from spic.datasets import camvid_samples
from spic.diffusion.checkpoint import ModelCard, load_model, save_model
from spic.diffusion.distill import student_from_teacher
from spic.diffusion.quantize import INT8_FILE, calibration_samples, shipped_int8, write_int8
from spic.diffusion.schedulers import ScheduleConfig
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.graph_manifest import StaleGraphError
from spic.labelsets import CAMVID11
from spic.reconstruction.scsrdm import ScsrdmReconstructor

TINY = UNetConfig(num_classes=11, base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                  mid_attention=False)


@pytest.fixture(scope="module")
def quantised(tmp_path_factory, camvid_dir):
    """A tiny student folder with its int8 graph (2 calibration frames)."""
    torch.manual_seed(0)
    student = student_from_teacher(SCSRDMUNet(TINY), refine_channels=4)
    with torch.no_grad():
        for p in student.parameters():
            p.add_(0.05 * torch.randn_like(p))
    folder = tmp_path_factory.mktemp("student")
    save_model(folder, student.eval(), ModelCard(student.config,
                                                 ScheduleConfig(prediction_type="residual"),
                                                 "camvid11"))
    write_int8(folder, camvid_dir, frames=2)
    return folder


def scene(h: int = 48, w: int = 64):
    rng = np.random.default_rng(3)
    return (rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8),
            rng.integers(0, 12, (h, w)).astype(np.uint8))


def test_calibration_frames_come_from_fit_never_from_selection(camvid_dir):
    chosen = {s.name for s in calibration_samples(camvid_dir, 16)}
    assert len(chosen) == 16
    assert not chosen & {s.name for s in camvid_samples(camvid_dir, "selection")}
    assert chosen <= {s.name for s in camvid_samples(camvid_dir, "fit")}


def test_int8_pass_is_counted_once_deterministic_and_near_float32(quantised):
    coarse, labels = scene()
    int8 = ScsrdmReconstructor(weights=quantised, precision="onnxruntime-int8")
    exact = ScsrdmReconstructor(weights=quantised, precision="float32")
    out = int8.reconstruct(coarse, labels, CAMVID11, 4)
    assert int8.pipeline.decoder_passes == 1
    assert np.array_equal(out, int8.reconstruct(coarse, labels, CAMVID11, 4))
    diff = np.abs(out.astype(int) - exact.reconstruct(coarse, labels, CAMVID11, 4))
    assert out.shape == (48, 64, 3) and diff.mean() < 3.0


def test_int8_is_offered_only_for_the_calibrated_pass(quantised):
    for options in ({"steps": 2}, {"t_start": 100}, {"guidance_scale": 2.0}):
        with pytest.raises(ValueError, match="no int8 graph for this sampling|unguided"):
            ScsrdmReconstructor(weights=quantised, precision="onnxruntime-int8", **options)
    assert ScsrdmReconstructor(weights=quantised, precision="onnxruntime-int8", seed=7)


def test_a_graph_that_no_longer_matches_its_weights_is_refused(quantised, tmp_path):
    folder = tmp_path / "weights"
    shutil.copytree(quantised, folder)
    assert shipped_int8(folder) == (quantised / INT8_FILE).read_bytes()
    model, card = load_model(folder)
    with torch.no_grad():
        next(model.parameters()).add_(0.5)  # retrained weights, stale graph
    save_model(folder, model, card)
    with pytest.raises(StaleGraphError, match="not made from these weights"):
        ScsrdmReconstructor(weights=folder)
    (folder / INT8_FILE).unlink()  # without a graph, int8 is simply not a candidate
    assert shipped_int8(folder) is None
