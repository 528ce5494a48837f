"""Rate control holds a kbit/s budget and a per-frame byte cap on real CamVid frames."""

from __future__ import annotations

import numpy as np
import pytest

from spic.datasets import load_samples, read_labels, read_rgb
from spic.pipeline import EncoderConfig, SemanticEncoder
from spic.rate_control import CoarseRateController, RateBudget



@pytest.fixture(scope="module")
def frames(camvid_dir):
    samples = load_samples(f"camvid:{camvid_dir}", "val")[:24]
    return [(read_rgb(s.image), read_labels(s.labels)) for s in samples]


def _encode_all(frames, **rate) -> tuple[SemanticEncoder, list]:
    encoder = SemanticEncoder(EncoderConfig(frame_rate=10.0, **rate))
    payloads = [encoder.encode(rgb, ssm=labels, label_set="camvid11") for rgb, labels in frames]
    return encoder, payloads


@pytest.mark.parametrize("kbps", [250.0, 350.0, 500.0])  # 10 fps: ~3-6 KB a frame
def test_mean_rate_holds_the_budget_within_ten_percent(frames, kbps):
    encoder, payloads = _encode_all(frames, target_kbps=kbps)
    sizes = np.array([len(p.to_bytes()) for p in payloads])
    mean_kbps = sizes.mean() * 8 * 10.0 / 1000
    assert abs(mean_kbps - kbps) <= 0.1 * kbps, (mean_kbps, kbps)
    assert encoder.rate.frames_over_budget == 0
    assert len({p.coarse_quality for p in payloads}) > 1  # the quality really moves


def test_a_byte_cap_holds_for_every_frame(frames):
    cap = 3500  # bytes: the map alone takes ~2.5 KB of it (ground-truth maps)
    encoder, payloads = _encode_all(frames, max_frame_bytes=cap)
    assert max(len(p.to_bytes()) for p in payloads) <= cap
    assert encoder.rate.frames_over_budget == 0


def test_an_impossible_budget_is_counted_and_sent_at_the_floor(frames):
    encoder, payloads = _encode_all(frames[:6], target_kbps=5.0, floor_quality=45)
    assert encoder.rate.frames_over_budget == 6
    assert {p.coarse_quality for p in payloads} == {45}


def test_controller_converges_on_a_synthetic_size_model():
    """Bytes halve every 6 QP steps (BPG-like): the mean settles on the target."""
    controller = CoarseRateController(RateBudget(target_kbps=80, frame_rate=10), "bpg", 35)
    sizes = [controller.choose(lambda q: b"x" * int(4000 * 2 ** (-(q - 30) / 6)), 200).frame_bytes
             for _ in range(50)]
    assert abs(np.mean(sizes[10:]) * 8 * 10 / 1000 - 80) < 8


@pytest.mark.parametrize("bad", [dict(target_kbps=-1), dict(target_kbps=50, frame_rate=0),
                                 dict(max_frame_bytes=1000, floor_quality=60)])
def test_bad_budgets_are_refused(bad):
    with pytest.raises(ValueError):
        RateBudget(**bad).validate("bpg")
