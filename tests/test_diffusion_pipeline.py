"""SCSRDM sampling pipeline: start modes, guidance, padding, determinism."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from spic.diffusion.frozen import FrozenUNet
from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.diffusion.unet import SCSRDMUNet, UNetConfig

TINY = UNetConfig(num_classes=4, base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                  mid_attention=False)


class CountingUNet(SCSRDMUNet):
    """The real U-Net, counting encoder and decoder passes, their batch sizes and inputs."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__(config)
        self.batches: list[int] = []  # decoder passes (one per model output)
        self.encoder_batches: list[int] = []
        self.inputs: list[torch.Tensor] = []
        self.modulation_calls = 0

    def semantic_modulations(self, labels):
        self.modulation_calls += 1
        return super().semantic_modulations(labels)

    def encode(self, x_t, t, coarse):
        self.encoder_batches.append(x_t.shape[0])
        self.inputs.append(x_t.clone())
        return super().encode(x_t, t, coarse)

    def decode(self, enc, coarse, labels, mods):
        self.batches.append(labels.shape[0])
        return super().decode(enc, coarse, labels, mods)


@pytest.fixture()
def pipe() -> SCSRDMPipeline:
    torch.manual_seed(0)
    model = CountingUNet(TINY)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return SCSRDMPipeline(model, NoiseSchedule())


def frame(h: int = 20, w: int = 27):
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    labels = rng.integers(0, TINY.num_classes + 1, (h, w)).astype(np.uint8)
    return coarse, labels


@pytest.mark.parametrize("start", ["paper", "noised", "noise"])
@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_start_modes_deterministic_for_a_seed(pipe, start, sampler):
    coarse, labels = frame()
    cfg = SamplingConfig(num_steps=3, start=start, sampler=sampler, seed=5)
    a, b = pipe(coarse, labels, cfg), pipe(coarse, labels, cfg)
    assert a.shape == coarse.shape and a.dtype == np.uint8  # padded to 24x32 and cropped back
    assert np.array_equal(a, b)
    if start != "paper" or sampler == "ddpm":  # these draw noise: another seed differs
        other = pipe(coarse, labels, SamplingConfig(num_steps=3, start=start,
                                                    sampler=sampler, seed=6))
        assert not np.array_equal(a, other)


def test_step_count_and_guidance_passes(pipe):
    coarse, labels = frame()
    model = pipe.model
    pipe(coarse, labels, SamplingConfig(num_steps=4))
    assert model.batches == [1] * 4  # guidance 1.0: one pass per step
    assert model.modulation_calls == 1  # SPADE modulations: once per frame, not per step
    model.batches.clear()
    model.encoder_batches.clear()
    model.modulation_calls = 0
    guided = pipe(coarse, labels, SamplingConfig(num_steps=4, guidance_scale=2.0))
    assert model.batches == [2] * 4  # conditional + unconditional decoders in one batch
    assert model.encoder_batches == [1] * 4  # the map-free encoder half runs once per step
    assert model.modulation_calls == 2  # conditional map + the all-void map
    pipe(coarse, labels, SamplingConfig(num_steps=4, guidance_scale=2.0))
    assert model.modulation_calls == 3  # the all-void map's modulations are reused
    plain = pipe(coarse, labels, SamplingConfig(num_steps=4))
    assert not np.array_equal(guided, plain)


def test_guided_output_equals_two_separate_passes(pipe):
    """Sharing the encoder between the branches changes nothing but the cost."""
    coarse, labels = frame(16, 16)
    x = torch.from_numpy(coarse).permute(2, 0, 1)[None].float() / 127.5 - 1
    lab = torch.from_numpy(labels).long()[None]
    t = torch.tensor([100])
    void = torch.full_like(lab, TINY.num_classes)
    with torch.no_grad():
        cond, uncond = pipe.model(x, t, x, lab), pipe.model(x, t, x, void)
        labels2, mods = pipe._conditions(lab, 3.0)
        shared = pipe._predict(x, 100, x, labels2, mods, 3.0)
    assert torch.allclose(shared, uncond + 3.0 * (cond - uncond), atol=1e-5)


def test_paper_start_uses_coarse_image_without_noise(pipe):
    coarse, labels = frame(16, 16)
    x = torch.from_numpy(coarse).permute(2, 0, 1)[None].float() / 127.5 - 1
    lab = torch.from_numpy(labels).long()[None]
    seen = pipe.model.inputs
    pipe.sample(x, lab, SamplingConfig(num_steps=2, start="paper", t_start=192))
    assert torch.equal(seen[0], x)
    seen.clear()
    pipe.sample(x, lab, SamplingConfig(num_steps=2, start="noised", t_start=192))
    assert not torch.equal(seen[0], x)


def test_bad_sampling_configs_are_refused(pipe):
    coarse, labels = frame()
    for bad in (SamplingConfig(start="warm"), SamplingConfig(t_start=1000),
                SamplingConfig(num_steps=0), SamplingConfig(sampler="euler")):
        with pytest.raises(ValueError):
            pipe(coarse, labels, bad)
    with pytest.raises(ValueError, match="match"):
        pipe(coarse, labels[:5], SamplingConfig())


@pytest.mark.parametrize("guidance", [1.0, 2.0])
def test_bf16_frozen_graphs_stay_close_to_float32(pipe, guidance):
    coarse, labels = frame()
    cfg = SamplingConfig(num_steps=3, start="noised", sampler="ddim", guidance_scale=guidance)
    exact = pipe(coarse, labels, cfg).astype(int)
    frozen = SCSRDMPipeline(pipe.model, pipe.schedule, bf16=True)
    fast = frozen(coarse, labels, cfg).astype(int)
    assert np.abs(fast - exact).mean() < 3.0
    assert np.array_equal(frozen(coarse, labels, cfg), fast)  # deterministic
    assert frozen.decoder_passes == 2 * cfg.num_steps  # counted at each decoder call (2 runs)
    assert pipe.model.stem.weight.dtype == torch.float32  # the caller's model is untouched


def test_frozen_graphs_are_made_per_shape_and_bounded(pipe):
    frozen = FrozenUNet(copy.deepcopy(pipe.model).to(torch.bfloat16), cache_size=1)
    with torch.no_grad():
        for h, w in ((32, 48), (48, 32), (32, 48)):
            x = torch.rand(1, 3, h, w) * 2 - 1
            lab = torch.randint(0, TINY.num_classes, (1, h, w))
            t = torch.full((1,), 100)
            mods = frozen.semantic_modulations(lab)
            out = frozen.decode(frozen.encode(x, t, x), x, lab, mods).float()
            eager = frozen.unet(x, t, x, lab).float()
            assert out.shape == (1, 3, h, w) and (out - eager).abs().max() < 0.05
            assert len(frozen._graphs) == 3  # one size's modulations, encoder and decoder


def test_ddim_eta_adds_seeded_noise(pipe):
    coarse, labels = frame()
    cfg = SamplingConfig(num_steps=3, start="noised", sampler="ddim", eta=0.5, seed=1)
    a, b = pipe(coarse, labels, cfg), pipe(coarse, labels, cfg)
    assert np.array_equal(a, b)
    eta0 = pipe(coarse, labels, SamplingConfig(num_steps=3, start="noised", sampler="ddim", seed=1))
    assert not np.array_equal(a, eta0)
    with pytest.raises(ValueError, match="eta"):
        pipe(coarse, labels, SamplingConfig(eta=2.0))
