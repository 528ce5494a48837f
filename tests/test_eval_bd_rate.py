"""Bjøntegaard deltas on curves whose answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from spic.eval.bd_rate import bd_quality, bd_rate, frontier, pchip

RATES = np.array([0.05, 0.1, 0.2, 0.4, 0.8])


def _quality(rates):  # a concave, increasing rate-quality curve (mIoU-like)
    return 30 + 8 * np.log2(rates / 0.05)


def test_identical_curves_have_zero_delta():
    curve = (RATES, _quality(RATES))
    assert bd_rate(curve, curve) == pytest.approx(0.0, abs=1e-9)
    assert bd_quality(curve, curve) == pytest.approx(0.0, abs=1e-9)


def test_a_curve_at_half_the_rate_saves_half_the_bits():
    anchor = (RATES, _quality(RATES))
    test = (RATES / 2, _quality(RATES))  # same qualities at half the bits
    assert bd_rate(anchor, test) == pytest.approx(-50.0, abs=1e-6)
    assert bd_quality(anchor, test) == pytest.approx(8.0, abs=1e-6)  # one doubling = 8 points


def test_lower_is_better_metrics_are_negated():
    anchor = (RATES, 1.0 / (1 + RATES * 10))  # LPIPS-like: falls with rate
    test = (RATES * 2, 1.0 / (1 + RATES * 10))  # twice the bits for the same LPIPS
    assert bd_rate(anchor, test, higher_is_better=False) == pytest.approx(100.0, abs=1e-6)
    assert bd_quality(anchor, test, higher_is_better=False) > 0  # more LPIPS: worse


def test_no_overlap_gives_none_and_dominated_points_are_dropped():
    anchor = (RATES, _quality(RATES))
    test = (RATES, _quality(RATES) + 100)  # qualities the anchor never reaches
    assert bd_rate(anchor, test) is None
    rates, qualities = frontier([0.1, 0.2, 0.3, 0.4], [50, 49, 55, 55])
    assert rates.tolist() == [0.1, 0.3] and qualities.tolist() == [50, 55]
    assert bd_rate(anchor, ([0.1], [40])) is None  # one point is not a curve


def test_pchip_interpolates_and_stays_monotone():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([0.0, 0.1, 5.0, 5.1])  # a steep step: a cubic fit would overshoot
    at = np.linspace(0, 3, 301)
    values = pchip(x, y, at)
    assert np.allclose(pchip(x, y, x), y)
    assert np.all(np.diff(values) >= -1e-12) and values.min() >= 0 and values.max() <= 5.1
