"""The fast mode's onnxruntime pass: the torch U-Net's result, one pass per frame, unguided only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spic.diffusion.checkpoint import load_model
from spic.diffusion.onnx_unet import OnnxUNet
from spic.diffusion.pipeline import SAMPLING_MODES, SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.reconstruction.scsrdm import MODE_WEIGHTS


@pytest.fixture(scope="module")
def fast():
    model, card = load_model(MODE_WEIGHTS["fast"])
    return model.eval(), NoiseSchedule(card.schedule)


@pytest.mark.parametrize("batch, height, width", [(1, 96, 128), (2, 64, 48)])
def test_the_graph_gives_the_torch_pass_at_any_size_and_batch(fast, batch, height, width):
    """One export with dynamic batch, height and width; void labels (255, -1) included."""
    model, _ = fast
    onnx = OnnxUNet(model)
    gen = torch.Generator().manual_seed(batch)
    x = torch.rand(batch, 3, height, width, generator=gen) * 2 - 1
    coarse = torch.rand(batch, 3, height, width, generator=gen) * 2 - 1
    labels = torch.randint(-1, 13, (batch, height, width), generator=gen)
    labels[labels == 12] = 255
    t = torch.tensor([192, 40][:batch])
    with torch.no_grad():
        expected = model(x, t, coarse, labels)
    assert torch.allclose(onnx(x, t, coarse, labels), expected, atol=1e-4)


def test_fast_sampling_makes_one_counted_pass_per_frame_and_matches_torch(fast):
    model, schedule = fast
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (2, 60, 84, 3), dtype=np.uint8)  # padded to the multiple
    labels = rng.integers(0, 11, (2, 60, 84))
    onnx = SCSRDMPipeline(model, schedule, onnx=True)
    torch_out = SCSRDMPipeline(model, schedule).sample_frames(coarse, labels, SAMPLING_MODES["fast"])
    out = onnx.sample_frames(coarse, labels, SAMPLING_MODES["fast"])
    assert onnx.decoder_passes == 1
    assert out.shape == coarse.shape and np.abs(out.astype(int) - torch_out).max() <= 1
    assert np.array_equal(out, onnx.sample_frames(coarse, labels, SAMPLING_MODES["fast"]))


def test_guided_sampling_bf16_and_frozen_graphs_are_refused(fast):
    model, schedule = fast
    onnx = SCSRDMPipeline(model, schedule, onnx=True)
    coarse = np.zeros((1, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="unguided passes only"):
        onnx.sample_frames(coarse, np.zeros((1, 32, 32), int), SamplingConfig(guidance_scale=2))
    assert onnx.decoder_passes == 0
    for options in ({"bf16": True}, {"frozen": True}):
        with pytest.raises(ValueError, match="float32 weights"):
            SCSRDMPipeline(model, schedule, onnx=True, **options)
    tiny = SCSRDMUNet(UNetConfig(num_classes=4, base_channels=8, channel_mult=(1, 2),
                                 spade_hidden=4, mid_attention=False)).to(torch.bfloat16)
    with pytest.raises(ValueError, match="float32 U-Net"):
        OnnxUNet(tiny)
