"""Peak signal-to-noise ratio of uint8 images."""

from __future__ import annotations

import numpy as np

#: PSNR reported for identical images (MSE 0), instead of infinity.
PSNR_IDENTICAL = 100.0


def mse(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """PSNR in dB over all pixels and channels; :data:`PSNR_IDENTICAL` when equal."""
    err = mse(a, b)
    return PSNR_IDENTICAL if err == 0 else float(10 * np.log10(peak * peak / err))


def psnr_from_mse(err: float, peak: float = 255.0) -> float:
    """PSNR of a mean squared error (used for the split-level PSNR of the mean MSE)."""
    return PSNR_IDENTICAL if err <= 0 else float(10 * np.log10(peak * peak / err))
