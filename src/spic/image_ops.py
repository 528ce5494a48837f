"""Pixel operations shared by the encoder, decoder and training code."""

from __future__ import annotations

import cv2
import numpy as np


def coarse_size(width: int, height: int, factor: int) -> tuple[int, int]:
    """Size (w, h) of the coarse image: ``ceil(size / factor)`` per axis."""
    return -(-width // factor), -(-height // factor)


def area_downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor x factor`` blocks of a uint8 H x W x C image (rounded to nearest).

    Sizes not divisible by ``factor`` are padded by edge replication first, so every
    coarse pixel is the mean of a full block and the coarse size is ``ceil(size / factor)``.
    """
    h, w = image.shape[:2]
    cw, ch = coarse_size(w, h, factor)
    pad = ((0, ch * factor - h), (0, cw * factor - w)) + ((0, 0),) * (image.ndim - 2)
    padded = np.pad(image, pad, mode="edge").astype(np.uint32)
    blocks = padded.reshape(ch, factor, cw, factor, *image.shape[2:])
    total = blocks.sum(axis=(1, 3))
    return ((total + factor * factor // 2) // (factor * factor)).astype(np.uint8)


def upscale_to(coarse: np.ndarray, width: int, height: int, factor: int,
               interpolation: int = cv2.INTER_CUBIC) -> np.ndarray:
    """Inverse geometry of :func:`area_downscale`: resize by ``factor``, then crop the padding."""
    ch, cw = coarse.shape[:2]
    up = cv2.resize(coarse, (cw * factor, ch * factor), interpolation=interpolation)
    return np.ascontiguousarray(up[:height, :width])
