"""Rate matching finds the quality whose real encoded size is closest to a target bpp."""

from __future__ import annotations

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.eval.rate_matching import find_close, match_dataset, match_frame


@pytest.mark.parametrize("sign", [1, -1])
def test_find_close_on_monotonic_functions(sign):
    rate = lambda q: float(sign * q * q)  # noqa: E731
    for target in (-50.0, 0.0, 17.0, 30.0, 400.0):
        quality, value = find_close(rate, -20, 20, sign * abs(target))
        best = min(range(-20, 21), key=lambda q: (abs(rate(q) - sign * abs(target)), q))
        assert abs(value - sign * abs(target)) == pytest.approx(
            abs(rate(best) - sign * abs(target)))


def test_find_close_rejects_empty_range():
    with pytest.raises(ValueError):
        find_close(float, 5, 4, 1.0)


def _frame(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(np.cumsum(rng.normal(size=(48, 64, 3)), 0), 1)
    smooth = (smooth - smooth.min()) / np.ptp(smooth) * 255
    return smooth.astype(np.uint8)


def test_match_frame_agrees_with_brute_force_on_real_encodes():
    image = _frame(0)
    pixels = image.shape[0] * image.shape[1]
    target = 1.2
    quality, bpp = match_frame("jpeg", image, target, 1, 95)
    assert bpp == pytest.approx(8 * len(create_codec("jpeg", quality=quality).encode(image))
                                / pixels)
    brute = [abs(8 * len(create_codec("jpeg", quality=q).encode(image)) / pixels - target)
             for q in range(1, 96)]
    # JPEG sizes are monotonic in quality up to small wiggles: within 5% of the best gap
    assert abs(bpp - target) <= min(brute) + 0.05 * target


def test_match_dataset_uses_the_mean_rate():
    images = [_frame(1), _frame(2)]
    quality, mean_bpp = match_dataset("jpeg2000", images, 2.0, 15, 60)
    rates = [8 * len(create_codec("jpeg2000", quality=quality).encode(im)) / im[..., 0].size
             for im in images]
    assert mean_bpp == pytest.approx(np.mean(rates))
