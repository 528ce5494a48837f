"""The ``scsrdm`` reconstructor with the embedded default weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spic.diffusion import precision as precision_module
from spic.diffusion.pipeline import SCSRDMPipeline
from spic.errors import ImageTooLargeError, UnsupportedInputError
from spic.image_ops import area_downscale
from spic.labelsets import CAMVID11, CITYSCAPES19
from spic.reconstruction import RECONSTRUCTORS
from spic.reconstruction.scsrdm import DEFAULT_WEIGHTS, MODE_WEIGHTS, ScsrdmReconstructor


@pytest.fixture(scope="module")
def recon() -> ScsrdmReconstructor:
    return RECONSTRUCTORS.create("scsrdm")  # the default (fast) mode


def scene(h: int = 60, w: int = 84):
    labels = np.full((h, w), 3, np.uint8)  # road
    labels[: h // 3] = 0  # sky
    labels[h // 3: h // 2, : w // 2] = 1  # building
    labels[h // 2:, w // 2: w // 2 + 10] = 8  # car
    rgb = CAMVID11.colorize(labels)
    return area_downscale(rgb, 4), labels


def test_default_weights_ship_with_the_package():
    for folder in (DEFAULT_WEIGHTS, *MODE_WEIGHTS.values()):
        assert (folder / "config.json").is_file() and (folder / "MODEL_CARD.md").is_file()
        assert (folder / "model.safetensors").stat().st_size <= 30 * 2 ** 20


def test_reconstructs_at_frame_size_deterministically(recon):
    coarse, labels = scene()
    a = recon.reconstruct(coarse, labels, CAMVID11, 4)
    b = recon.reconstruct(coarse, labels, CAMVID11, 4)
    assert a.shape == (60, 84, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    other = labels.copy()
    other[other == 3] = 5  # road -> tree: the semantic map must change the output
    assert np.abs(recon.reconstruct(coarse, other, CAMVID11, 4).astype(int) - a).mean() > 0.5


def test_refuses_mismatched_inputs(recon):
    coarse, labels = scene()
    with pytest.raises(UnsupportedInputError, match="camvid11"):
        recon.reconstruct(coarse, labels, CITYSCAPES19, 4)
    with pytest.raises(UnsupportedInputError, match="1/4"):
        recon.reconstruct(coarse, labels, CAMVID11, 2)
    with pytest.raises(ValueError, match="does not match"):
        recon.reconstruct(coarse[:-2], labels, CAMVID11, 4)
    small = ScsrdmReconstructor(steps=1, max_pixels=1000)
    with pytest.raises(ImageTooLargeError):
        small.reconstruct(coarse, labels, CAMVID11, 4)


def test_knows_the_coarse_codec_it_was_trained_on(recon):
    """The weights record BPG q35; another codec is refused, any BPG quality is taken."""
    assert (recon.card.coarse.codec, recon.card.coarse.quality) == ("bpg", 35)
    coarse, labels = scene()
    with pytest.raises(UnsupportedInputError, match="trained on bpg q35 coarse images, got webp"):
        recon.reconstruct(coarse, labels, CAMVID11, 4, coarse_codec="webp", coarse_quality=75)
    for quality in (20, 35, 51, None):
        out = recon.reconstruct(coarse, labels, CAMVID11, 4, coarse_codec="bpg",
                                coarse_quality=quality)
        assert out.shape == (60, 84, 3)


def test_string_options_from_ros_parameters_are_coerced():
    recon = ScsrdmReconstructor(steps="2", guidance_scale="1.5", precision="float32",
                                t_start="100")
    assert recon.sampling.num_steps == 2 and recon.sampling.guidance_scale == 1.5
    assert recon.pipeline.bf16 is False and recon.sampling.t_start == 100
    with pytest.raises(ValueError):
        ScsrdmReconstructor(precision="float16")
    assert recon.precision.reason == "requested"
    with pytest.raises(ValueError):
        ScsrdmReconstructor(start="warm")


def test_fast_mode_takes_the_fastest_of_timed_passes(monkeypatch):
    monkeypatch.setattr(precision_module, "_MEASURED", {})
    auto = ScsrdmReconstructor(mode="fast")
    choice = auto.precision
    way = choice.runtime
    assert (auto.pipeline.bf16, auto.pipeline.frozen) == (way.bf16, way.frozen)
    assert (auto.pipeline.onnx_unet is not None) == way.onnx
    assert auto.pipeline.decoder_passes == 0  # timing passes are not counted as the caller's
    timed = {"float32", "float32-frozen", "onnxruntime"}  # fast: unguided, always timed
    if torch.cpu._is_avx512_bf16_supported():
        timed.add("bf16-frozen")
    assert choice.reason == "measured" and set(choice.median_ms) == timed
    assert choice.median_ms[choice.name] == min(choice.median_ms.values())
    assert ScsrdmReconstructor(mode="fast").precision is choice  # timed once per process
    assert len(precision_module._MEASURED) == 1


def test_guided_sampling_never_times_or_takes_onnxruntime(monkeypatch):
    """The onnxruntime graph is one unguided pass: guided sampling keeps torch, where the
    encoder half runs once for both branches."""
    monkeypatch.setattr(precision_module, "_MEASURED", {})
    monkeypatch.setattr(precision_module, "ROUNDS", 1)
    guided = ScsrdmReconstructor(mode="fast", guidance_scale=2.0)
    assert guided.pipeline.onnx_unet is None
    if torch.cpu._is_amx_tile_supported():
        assert guided.precision.name == "bf16-frozen" and guided.precision.reason == "AMX"
    else:
        assert "onnxruntime" not in guided.precision.median_ms


def test_float32_frozen_graphs_give_the_eager_result():
    coarse, labels = scene(64, 96)
    eager = ScsrdmReconstructor(mode="fast", precision="float32")
    frozen = ScsrdmReconstructor(mode="fast", precision="float32")
    frozen.pipeline = SCSRDMPipeline(frozen.pipeline.model, frozen.pipeline.schedule,
                                     frozen=True)
    assert frozen.pipeline.frozen and not frozen.pipeline.bf16
    a = eager.reconstruct(coarse, labels, CAMVID11, 4)
    b = frozen.reconstruct(coarse, labels, CAMVID11, 4)
    assert np.abs(a.astype(int) - b).max() <= 1
    assert frozen.pipeline.decoder_passes == 1
    with pytest.raises(ValueError, match="frozen graphs only"):
        SCSRDMPipeline(eager.pipeline.model, eager.pipeline.schedule, bf16=True, frozen=False)
