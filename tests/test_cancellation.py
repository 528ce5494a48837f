"""Cooperative cancellation: a sampler stops between diffusion steps once asked to."""

from __future__ import annotations

import threading

import pytest
import torch

from spic.cancellation import Cancelled, cancel_when, raise_if_cancelled
from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.diffusion.unet import SCSRDMUNet, UNetConfig


def test_raise_if_cancelled_only_inside_a_scope_that_asks():
    raise_if_cancelled()  # no scope: never cancelled
    with cancel_when(lambda: False):
        raise_if_cancelled()
    with cancel_when(lambda: True), pytest.raises(Cancelled):
        raise_if_cancelled()
    raise_if_cancelled()  # the scope ended


def test_scope_is_per_thread():
    seen = []
    with cancel_when(lambda: True):
        thread = threading.Thread(target=lambda: seen.append(raise_if_cancelled()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_sampler_stops_between_steps():
    torch.manual_seed(0)
    config = UNetConfig(num_classes=4, base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                        mid_attention=False)
    pipeline = SCSRDMPipeline(SCSRDMUNet(config), NoiseSchedule())
    steps = []
    original = pipeline._predict

    def counted(*args, **kwargs):
        steps.append(1)
        return original(*args, **kwargs)

    pipeline._predict = counted
    coarse, labels = torch.zeros(1, 3, 16, 16), torch.zeros(1, 16, 16, dtype=torch.long)
    with cancel_when(lambda: len(steps) >= 3), pytest.raises(Cancelled):
        pipeline.sample(coarse, labels, SamplingConfig(num_steps=10))
    assert len(steps) == 3
