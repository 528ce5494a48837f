"""SCSRDM U-Net: shapes, size checks, and that both conditions really steer the output."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from spic.diffusion.unet import (SPADE, SCSRDMUNet, UNetConfig, class_fractions, one_hot_labels,
                                 pointwise_spade, timestep_embedding)

TINY = UNetConfig(num_classes=5, base_channels=8, channel_mult=(1, 2), spade_hidden=8)


def randomised(config: UNetConfig = TINY, seed: int = 0) -> SCSRDMUNet:
    """A model whose zero-initialised layers are filled too, so every path carries signal."""
    torch.manual_seed(seed)
    model = SCSRDMUNet(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return model


def inputs(b: int = 2, h: int = 16, w: int = 24, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 3, h, w, generator=g)
    coarse = torch.rand(b, 3, h, w, generator=g) * 2 - 1
    labels = torch.randint(0, TINY.num_classes + 1, (b, h, w), generator=g)
    return x, torch.tensor([10, 500])[:b], coarse, labels


def test_output_shape_and_zero_init():
    model = SCSRDMUNet(TINY)
    x, t, coarse, labels = inputs()
    out = model(x, t, coarse, labels)
    assert out.shape == x.shape
    assert torch.count_nonzero(out) == 0  # zero-initialised head: starts as "predict 0"


def test_sizes_must_match_the_pad_multiple():
    model = SCSRDMUNet(TINY)
    assert TINY.pad_multiple == 8
    x, t, coarse, labels = inputs(h=12)
    with pytest.raises(ValueError, match="multiple"):
        model(x, t, coarse, labels)
    x, t, coarse, labels = inputs()
    with pytest.raises(ValueError, match="mismatch"):
        model(x, t, coarse[:, :, :8], labels)


def test_spade_map_changes_output_locally_and_globally():
    model = randomised()
    x, t, coarse, labels = inputs()
    base = model(x, t, coarse, labels)
    changed = labels.clone()
    changed[:, :8, :8] = (changed[:, :8, :8] + 1) % TINY.num_classes
    out = model(x, t, coarse, changed)
    assert (out - base).abs().mean() > 1e-3
    void = torch.full_like(labels, TINY.num_classes)
    assert (model(x, t, coarse, void) - base).abs().mean() > 1e-3


def test_precomputed_modulations_give_the_same_output():
    model = randomised()
    x, t, coarse, labels = inputs()
    mods = model.semantic_modulations(labels)
    assert len(mods) == sum(isinstance(m, SPADE) for m in model.modules())
    torch.testing.assert_close(model(x, t, coarse, labels, mods), model(x, t, coarse, labels))
    other = model.semantic_modulations(torch.full_like(labels, 0))
    assert (model(x, t, coarse, labels, other) - model(x, t, coarse, labels)).abs().mean() > 1e-3


def test_pointwise_spade_matches_inside_class_regions_and_differs_at_edges():
    model = randomised()
    pointwise = pointwise_spade(model)
    assert pointwise.config.spade_kernel == 1 and pointwise.out_norm.gamma.kernel_size == (1, 1)
    labels = torch.zeros(1, 64, 96, dtype=torch.long)
    labels[:, :, 48:] = 3  # two class regions with one vertical edge in the middle
    before = model.semantic_modulations(labels)
    after = pointwise.semantic_modulations(labels)
    for (g, b), (g1, b1) in zip(before.values(), after.values()):
        h, w = g.shape[-2:]
        for cols in (slice(2, w // 2 - 2), slice(w // 2 + 2, w - 2)):  # inside each region
            inside = (..., slice(2, h - 2), cols)  # two rows and columns off every edge
            assert torch.allclose(g[inside], g1[inside], atol=1e-5)
            assert torch.allclose(b[inside], b1[inside], atol=1e-5)
    g, g1 = before[model.out_norm][0], after[pointwise.out_norm][0]
    h, w = g.shape[-2:]
    assert (g - g1)[..., 2:h - 2, w // 2].abs().max() > 1e-3  # at the class edge
    with pytest.raises(ValueError, match="3x3"):
        pointwise_spade(pointwise)


def test_coarse_channels_and_timestep_matter():
    model = randomised()
    x, t, coarse, labels = inputs()
    base = model(x, t, coarse, labels)
    assert (model(x, t, -coarse, labels) - base).abs().mean() > 1e-3
    assert (model(x, t.flip(0), coarse, labels) - base).abs().mean() > 1e-3


def test_one_hot_void_is_all_zero():
    labels = torch.tensor([[[0, 2, 3, 255]]])
    onehot = one_hot_labels(labels, 3)
    assert onehot.shape == (1, 3, 1, 4)
    assert onehot[0, :, 0, 0].tolist() == [1, 0, 0]
    assert onehot[0, :, 0, 1].tolist() == [0, 0, 1]
    assert onehot[0, :, 0, 2].sum() == 0 and onehot[0, :, 0, 3].sum() == 0


def test_class_fractions_are_the_area_pooled_one_hot_map():
    labels = torch.randint(-2, 14, (2, 24, 32))  # negative and >= 11: void
    pooled = F.avg_pool2d(one_hot_labels(labels, 11), 4)
    assert torch.equal(class_fractions(labels, 11, 4), pooled)
    with pytest.raises(ValueError, match="multiple"):
        class_fractions(labels[:, :22], 11, 4)


def test_timestep_embedding_closed_form():
    emb = timestep_embedding(torch.tensor([0, 3]), 8)
    assert emb.shape == (2, 8)
    assert torch.allclose(emb[0], torch.tensor([1.0] * 4 + [0.0] * 4))
    assert torch.isclose(emb[1, 0], torch.cos(torch.tensor(3.0)))


def test_config_round_trip_and_unknown_keys():
    d = TINY.to_dict()
    assert UNetConfig.from_dict(d) == TINY
    with pytest.raises(ValueError, match="unknown"):
        UNetConfig.from_dict({**d, "bogus": 1})
    with pytest.raises(ValueError, match="invalid U-Net config"):
        SCSRDMUNet(UNetConfig.from_dict({**d, "spade_kernel": 2}))


def test_default_model_is_small():
    n = sum(p.numel() for p in SCSRDMUNet(UNetConfig()).parameters())
    assert 1e6 < n < 7.5e6  # fp32 weights well under the 30 MB budget
