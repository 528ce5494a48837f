"""Camera conditions a segmenter meets outside its training sequences, as fixed, repeatable
image transforms (for robustness tables; training uses random ones, see ``training.py``).

Each condition maps an H x W x 3 uint8 RGB frame and its index in the split (the seed of any
noise) to a frame of the same size.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

Condition = Callable[[np.ndarray, int], np.ndarray]


def _dusk(rgb: np.ndarray, index: int) -> np.ndarray:
    """Under-exposed by 1.3 stops with a darker tone curve and a cool white balance."""
    x = (rgb.astype(np.float32) / 255.0) ** 1.3 * 0.4
    x *= np.array([0.9, 1.0, 1.15], np.float32)
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def _defocus(rgb: np.ndarray, index: int) -> np.ndarray:
    """Gaussian blur, sigma 2 px."""
    return cv2.GaussianBlur(rgb, (0, 0), 2.0)


def _noise(rgb: np.ndarray, index: int) -> np.ndarray:
    """Additive Gaussian sensor noise, sigma 10 grey levels (seeded by the frame's index)."""
    noise = np.random.default_rng(index).normal(0.0, 10.0, rgb.shape)
    return np.clip(np.rint(rgb + noise), 0, 255).astype(np.uint8)


def _low_resolution(rgb: np.ndarray, index: int) -> np.ndarray:
    """A camera of half the resolution: area-downscaled 2x, bilinear back to the size."""
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


CONDITIONS: dict[str, Condition] = {
    "clean": lambda rgb, index: rgb,
    "dusk": _dusk,
    "defocus": _defocus,
    "noise": _noise,
    "low-resolution": _low_resolution,
}
