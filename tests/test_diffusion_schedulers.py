"""Noise schedule and samplers against closed-form values, plus a golden DDIM loop."""

from __future__ import annotations

import math

import pytest
import torch

from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import (DDIMScheduler, DDPMScheduler, NoiseSchedule,
                                       ScheduleConfig, respaced_timesteps)
from spic.diffusion.unet import SCSRDMUNet, UNetConfig


def test_linear_betas_and_cumulative_alphas():
    s = NoiseSchedule()
    assert s.betas.shape == (1000,)
    assert s.betas[0].item() == pytest.approx(1e-4)
    assert s.betas[-1].item() == pytest.approx(0.02)
    assert s.betas[1].item() - s.betas[0].item() == pytest.approx(0.0199 / 999)
    expected = math.prod(1 - (1e-4 + i * 0.0199 / 999) for i in range(193))
    assert s.alphas_cumprod[192].item() == pytest.approx(expected, rel=1e-9)
    assert s.alphas_cumprod[999].item() == pytest.approx(4.036e-5, rel=1e-3)


def test_add_noise_closed_form_per_sample():
    s = NoiseSchedule()
    x0, noise = torch.ones(2, 3, 2, 2), torch.full((2, 3, 2, 2), 2.0)
    xt = s.add_noise(x0, noise, torch.tensor([0, 999]))
    a0, a1 = s.alphas_cumprod[0].item(), s.alphas_cumprod[999].item()
    assert xt[0, 0, 0, 0].item() == pytest.approx(math.sqrt(a0) + 2 * math.sqrt(1 - a0), rel=1e-6)
    assert xt[1, 0, 0, 0].item() == pytest.approx(math.sqrt(a1) + 2 * math.sqrt(1 - a1), rel=1e-5)


@pytest.mark.parametrize("kind", ["epsilon", "v", "x0", "residual"])
def test_prediction_types_recover_x0_and_noise(kind):
    s = NoiseSchedule(ScheduleConfig(prediction_type=kind))
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(3, 3, 4, 4, generator=g) * 1.6 - 0.8
    coarse = x0 + 0.1 * torch.randn(3, 3, 4, 4, generator=g)
    noise = torch.randn(3, 3, 4, 4, generator=g)
    t = torch.tensor([5, 300, 900])
    xt = s.add_noise(x0, noise, t)
    x0_hat, eps_hat = s.split_prediction(s.target(x0, noise, t, coarse), xt, t, coarse)
    assert torch.allclose(x0_hat, x0, atol=1e-4)
    assert torch.allclose(eps_hat, noise, atol=1e-3)


def test_residual_parametrisation_closed_form():
    s = NoiseSchedule(ScheduleConfig(prediction_type="residual", residual_std=0.15))
    t = torch.tensor([192])
    a = s.alphas_cumprod[192].item()
    k = math.sqrt(a) * 0.0225 / (a * 0.0225 + 1 - a)
    c = math.sqrt(0.0225 * (1 - a) / (a * 0.0225 + 1 - a))
    coarse, xt = torch.full((1, 3, 1, 1), 0.2), torch.full((1, 3, 1, 1), 0.5)
    x0, _ = s.split_prediction(torch.ones_like(xt), xt, t, coarse)  # output 1 = one std
    assert x0[0, 0, 0, 0].item() == pytest.approx(0.2 + k * (0.5 - math.sqrt(a) * 0.2) + c, rel=1e-5)
    with pytest.raises(ValueError, match="coarse"):
        s.split_prediction(xt, xt, t)


def test_invalid_schedule_is_refused():
    with pytest.raises(ValueError, match="prediction_type"):
        NoiseSchedule(ScheduleConfig(prediction_type="score"))
    with pytest.raises(ValueError):
        NoiseSchedule(ScheduleConfig(beta_start=0.1, beta_end=0.01))


def test_respacing():
    assert respaced_timesteps(20, 999)[:3] == [999, 946, 894]
    assert respaced_timesteps(20, 999)[-1] == 0
    assert respaced_timesteps(5, 192) == [192, 144, 96, 48, 0]
    assert respaced_timesteps(50, 3) == [3, 2, 1, 0]
    assert respaced_timesteps(1, 192) == [192]
    sched = DDIMScheduler(NoiseSchedule())
    assert sched.set_timesteps(20, 192)[0] == 192
    with pytest.raises(ValueError):
        sched.set_timesteps(20, 1000)


def test_ddim_step_with_exact_epsilon_lands_on_x0_trajectory():
    s = NoiseSchedule()
    x0, noise = torch.full((1, 3, 2, 2), 0.5), torch.randn(1, 3, 2, 2)
    sched = DDIMScheduler(s)
    sched.set_timesteps(4, 300)
    x = s.add_noise(x0, noise, torch.tensor([300]))
    for t in sched.timesteps:
        x = sched.step(noise, t, x)  # the exact noise keeps x on the same DDIM trajectory
    assert torch.allclose(x, x0, atol=1e-5)


def test_ddpm_last_step_returns_the_x0_estimate_and_noise_is_seeded():
    s = NoiseSchedule(ScheduleConfig(prediction_type="x0"))
    sched = DDPMScheduler(s)
    sched.set_timesteps(3, 100)
    x = torch.zeros(1, 3, 2, 2)
    target = torch.full_like(x, 0.25)
    assert torch.allclose(sched.step(target, 0, x), target)
    a = sched.step(target, 100, x, torch.Generator().manual_seed(3))
    b = sched.step(target, 100, x, torch.Generator().manual_seed(3))
    c = sched.step(target, 100, x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_deterministic_ddim_loop_golden_sum():
    torch.manual_seed(0)
    model = SCSRDMUNet(UNetConfig(num_classes=3, base_channels=8, channel_mult=(1, 2),
                                  spade_hidden=4, mid_attention=False))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.linspace(-0.01, 0.01, p.numel()).reshape(p.shape).roll(p.numel() // 3))
    pipe = SCSRDMPipeline(model, NoiseSchedule())
    yy, xx = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    coarse = 0.8 * torch.stack([torch.sin(xx / 3.0), torch.cos(yy / 4.0), (xx - yy) / 16.0])[None]
    labels = ((xx // 6 + yy // 6) % 4)[None]
    out = pipe.sample(coarse.float(), labels,
                      SamplingConfig(num_steps=5, start="noised", t_start=150, sampler="ddim"))
    assert out.shape == (1, 3, 16, 16)
    assert out.double().sum().item() == pytest.approx(9.3347, abs=1e-2)
    assert out.double().abs().sum().item() == pytest.approx(451.2523, abs=1e-2)
    again = pipe.sample(coarse.float(), labels,
                        SamplingConfig(num_steps=5, start="noised", t_start=150, sampler="ddim"))
    assert torch.equal(out, again)
