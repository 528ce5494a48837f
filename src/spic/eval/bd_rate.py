"""Bjøntegaard deltas between two rate-quality curves (VCEG-M33, with monotone interpolation).

``bd_rate``: the mean rate difference (percent) of a test curve against an anchor at equal
quality, over the quality range both cover; negative means the test needs fewer bits.
``bd_quality``: the mean quality difference (test minus anchor, in the quality's own units)
at equal rate, over the common log-rate range.

Both curves are interpolated with monotone piecewise-cubic Hermite splines (Fritsch-Carlson,
as the later Bjøntegaard and AOM reports recommend) instead of the original cubic fit,
which swings wildly on four or five points. A curve is first reduced to its efficient
frontier: a point counts only if it beats every cheaper point of the same curve, so the
quality is strictly increasing in rate. Qualities where lower is better (LPIPS) are
negated first.
"""

from __future__ import annotations

import numpy as np

#: Samples per curve when integrating over the common interval.
_SAMPLES = 1001


def frontier(rates, qualities) -> tuple[np.ndarray, np.ndarray]:
    """The points of a curve that beat every cheaper point, sorted by rate."""
    pairs = sorted((float(r), float(q)) for r, q in zip(rates, qualities)
                   if r is not None and q is not None and r > 0 and np.isfinite(q))
    kept: list[tuple[float, float]] = []
    for rate, quality in pairs:
        if not kept or quality > kept[-1][1]:
            if kept and rate == kept[-1][0]:
                kept.pop()
            kept.append((rate, quality))
    rates_out, qualities_out = (np.array(v) for v in zip(*kept)) if kept else (np.empty(0),) * 2
    return rates_out, qualities_out


def pchip(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Monotone cubic Hermite interpolation of ``y(x)`` (``x`` strictly increasing) at ``at``."""
    h = np.diff(x)
    delta = np.diff(y) / h
    slopes = np.zeros_like(y)
    if len(x) == 2:
        slopes[:] = delta[0]
    else:
        for k in range(1, len(x) - 1):  # harmonic mean of neighbouring secants, 0 at extrema
            if delta[k - 1] * delta[k] > 0:
                w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
                slopes[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
        slopes[0] = _end_slope(h[0], h[1], delta[0], delta[1])
        slopes[-1] = _end_slope(h[-1], h[-2], delta[-1], delta[-2])
    k = np.clip(np.searchsorted(x, at) - 1, 0, len(x) - 2)
    t = (at - x[k]) / h[k]
    h00, h10 = (1 + 2 * t) * (1 - t) ** 2, t * (1 - t) ** 2
    h01, h11 = t * t * (3 - 2 * t), t * t * (t - 1)
    return h00 * y[k] + h10 * h[k] * slopes[k] + h01 * y[k + 1] + h11 * h[k] * slopes[k + 1]


def _end_slope(h0: float, h1: float, d0: float, d1: float) -> float:
    """One-sided three-point end slope, kept shape-preserving."""
    slope = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if np.sign(slope) != np.sign(d0):
        return 0.0
    if np.sign(d0) != np.sign(d1) and abs(slope) > abs(3 * d0):
        return 3 * d0
    return slope


def _mean_over(x: np.ndarray, y: np.ndarray, low: float, high: float) -> float:
    grid = np.linspace(low, high, _SAMPLES)
    return float(np.trapezoid(pchip(x, y, grid), grid) / (high - low))


def _curves(anchor, test, higher_is_better: bool):
    sign = 1.0 if higher_is_better else -1.0
    out = []
    for rates, qualities in (anchor, test):
        r, q = frontier(rates, [None if v is None else sign * v for v in qualities])
        if len(r) < 2:
            return None
        out.append((np.log(r), q))
    return out


def _mean_difference(anchor: tuple, test: tuple, higher_is_better: bool,
                     at_equal_quality: bool) -> float | None:
    """Mean of test minus anchor over the common interval: log-rate at equal quality, or
    (sign-adjusted) quality at equal log-rate; None without two points each or overlap."""
    curves = _curves(anchor, test, higher_is_better)
    if curves is None:
        return None
    if at_equal_quality:  # x = quality, y = log-rate
        (ya, xa), (yt, xt) = curves
    else:
        (xa, ya), (xt, yt) = curves
    low, high = max(xa[0], xt[0]), min(xa[-1], xt[-1])
    if high <= low:
        return None
    return _mean_over(xt, yt, low, high) - _mean_over(xa, ya, low, high)


def bd_rate(anchor: tuple, test: tuple, higher_is_better: bool = True) -> float | None:
    """Percent rate change of ``test`` vs ``anchor`` at equal quality; None without overlap.

    ``anchor`` and ``test`` are ``(rates, qualities)`` sequences (e.g. bpp and mIoU).
    """
    diff = _mean_difference(anchor, test, higher_is_better, at_equal_quality=True)
    return None if diff is None else float((np.exp(diff) - 1) * 100)


def bd_quality(anchor: tuple, test: tuple, higher_is_better: bool = True) -> float | None:
    """Mean quality of ``test`` minus ``anchor`` at equal rate, in the quality's own units
    (for LPIPS, negative = better); None without overlap."""
    gain = _mean_difference(anchor, test, higher_is_better, at_equal_quality=False)
    return None if gain is None else float(gain if higher_is_better else -gain)
