"""Data consistency with the coarse image: the receiver knows the decoded coarse image exactly.

:func:`project_to_coarse` moves every ``factor x factor`` block of a reconstruction by the
same amount so that its area average (what the vehicle downscaled) equals the decoded coarse
pixel; detail inside a block is kept. This is the classic back-projection step of
super-resolution, made exact for uint8 images.
"""

from __future__ import annotations

import numpy as np


def _blocks(image: np.ndarray, factor: int) -> np.ndarray:
    """(H, W, C) -> (H/f, W/f, C, f*f) view of each block's pixels."""
    h, w, c = image.shape
    return (image.reshape(h // factor, factor, w // factor, factor, c)
            .transpose(0, 2, 4, 1, 3).reshape(h // factor, w // factor, c, factor * factor))


def _unblocks(blocks: np.ndarray, factor: int) -> np.ndarray:
    ch, cw, c, _ = blocks.shape
    return (blocks.reshape(ch, cw, c, factor, factor).transpose(0, 3, 1, 4, 2)
            .reshape(ch * factor, cw * factor, c))


def project_to_coarse(image: np.ndarray, coarse: np.ndarray, factor: int,
                      iterations: int = 4) -> np.ndarray:
    """``image`` (H x W x 3 uint8) shifted per block so ``area_downscale(out) == coarse``.

    Exact when H and W are multiples of ``factor`` (other sizes: edge blocks approximately,
    since ``area_downscale`` replicates edges there). A few clipped iterations in float,
    then integer passes give every block exactly ``factor**2 * coarse`` as its sum.
    """
    h, w = image.shape[:2]
    ch, cw = coarse.shape[:2]
    padded = np.pad(image, ((0, ch * factor - h), (0, cw * factor - w), (0, 0)), mode="edge")
    x = _blocks(padded.astype(np.float64), factor)
    target = coarse.astype(np.float64)[..., None]
    for _ in range(iterations):
        x = np.clip(x + (target - x.mean(axis=-1, keepdims=True)), 0, 255)
    x = np.rint(x)
    for _ in range(256):  # each pass moves a pixel by at most 1; clipped blocks need several
        deficit = (factor * factor * target - x.sum(axis=-1, keepdims=True)).astype(np.int64)
        if not deficit.any():
            break
        for sign, room in ((1, x < 255), (-1, x > 0)):
            need = np.maximum(sign * deficit, 0)
            x += sign * (room & (np.cumsum(room, axis=-1) <= need))
    out = _unblocks(x, factor).astype(np.uint8)
    return np.ascontiguousarray(out[:h, :w])
