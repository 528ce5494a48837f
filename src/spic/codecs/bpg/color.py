"""Colour conversion as libbpg does it, in integer arithmetic: bpgenc's 8-bit RGB ->
YCbCr / YCgCo / GBR planes, and bpgdec's YCbCr / YCgCo / GBR / gray planes -> 8-bit RGB."""

from __future__ import annotations

import numpy as np

from spic.codecs.bpg.header import ColorSpace

#: (k_r, k_b) of the YCbCr matrices BPG can declare.
YCBCR_MATRICES = {ColorSpace.YCBCR: (0.299, 0.114), ColorSpace.YCBCR_BT709: (0.2126, 0.0722),
                  ColorSpace.YCBCR_BT2020: (0.2627, 0.0593)}


def _lrint(value: float) -> int:
    return int(round(value))  # round half to even, like C's lrint


def _input_scale(bit_depth: int) -> tuple[int, float]:
    """bpgenc's fixed-point (shift, multiplier) from 8-bit input to ``bit_depth`` output."""
    shift = 31 - bit_depth
    return shift, ((1 << bit_depth) - 1) * (1 << shift) / 255


def gray_to_plane(gray: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """bpgenc's scaling of an 8-bit gray image to ``bit_depth`` samples."""
    if bit_depth == 8:
        return gray
    shift, mult = _input_scale(bit_depth)
    return (_lrint(mult) * gray.astype(np.int64) + (1 << (shift - 1))) >> shift


def rgb_to_planes(rgb: np.ndarray, color_space: ColorSpace,
                  bit_depth: int = 8) -> list[np.ndarray]:
    """bpgenc's conversion of 8-bit RGB to three planes (Y Cb Cr, Y Cg Co or G B R)."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    if color_space is ColorSpace.RGB:
        return [gray_to_plane(p, bit_depth) for p in (g, b, r)]
    shift, mult = _input_scale(bit_depth)
    rnd = 1 << (shift - 1)
    center = 1 << (bit_depth - 1)
    top = (1 << bit_depth) - 1
    if color_space is ColorSpace.YCGCO:
        t1 = _lrint(0.5 * mult) * g
        t2 = _lrint(0.25 * mult) * (r + b)
        y = (t1 + t2 + rnd) >> shift
        cg = ((t1 - t2 + rnd) >> shift) + center
        co = ((_lrint(0.5 * mult) * (r - b) + rnd) >> shift) + center
        return [np.clip(p, 0, top) for p in (y, cg, co)]
    if color_space is not ColorSpace.YCBCR:
        raise ValueError(f"bpgenc writes YCbCr, RGB or YCgCo, not {color_space.name}")
    k_r, k_b = YCBCR_MATRICES[color_space]
    k_g = 1 - k_r - k_b
    rows = [(k_r, k_g, k_b), (-0.5 * k_r / (1 - k_b), -0.5 * k_g / (1 - k_b), 0.5),
            (0.5, -0.5 * k_g / (1 - k_r), -0.5 * k_b / (1 - k_r))]
    planes = []
    for index, row in enumerate(rows):
        c0, c1, c2 = (_lrint(c * mult) for c in row)
        value = (c0 * r + c1 * g + c2 * b + rnd) >> shift
        planes.append(np.clip(value + (center if index else 0), 0, top))
    return planes


def planes_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, color_space: ColorSpace,
                  bit_depth: int, limited_range: bool) -> np.ndarray:
    """bpgdec's conversion of full-resolution planes to 8-bit RGB (H x W x 3 uint8)."""
    shift, y_one, y_offset, mult_c = _output_scale(bit_depth, limited_range)
    # bpgdec computes in C ints; for 8-bit full range every sum fits int32 (faster).
    dtype = np.int32 if bit_depth == 8 and not limited_range else np.int64
    y, cb, cr = (p.astype(dtype) for p in (y, cb, cr))
    if color_space is ColorSpace.RGB:
        if bit_depth == 8 and not limited_range:
            channels = [cr, y, cb]
        else:
            channels = [(p * y_one + y_offset) >> shift for p in (cr, y, cb)]
    elif color_space is ColorSpace.YCGCO:
        center = 1 << (bit_depth - 1)
        cg, co = cb - center, cr - center
        channels = [((p * y_one) + y_offset) >> shift
                    for p in (y - cg + co, y + cg, y - cg - co)]
    else:
        k_r, k_b = YCBCR_MATRICES[color_space]
        center = 1 << (bit_depth - 1)
        cb, cr = cb - center, cr - center
        c_r_cr = _lrint(2 * (1 - k_r) * mult_c)
        c_g_cb = _lrint(2 * k_b * (1 - k_b) / (1 - k_b - k_r) * mult_c)
        c_g_cr = _lrint(2 * k_r * (1 - k_r) / (1 - k_b - k_r) * mult_c)
        c_b_cb = _lrint(2 * (1 - k_b) * mult_c)
        base = y * y_one + y_offset
        channels = [(base + c_r_cr * cr) >> shift,
                    (base - c_g_cb * cb - c_g_cr * cr) >> shift,
                    (base + c_b_cb * cb) >> shift]
    rgb = np.empty(y.shape + (3,), dtype=np.uint8)
    for index, channel in enumerate(channels):
        np.clip(channel, 0, 255, out=channel)
        rgb[..., index] = channel
    return rgb


def gray_to_output(y: np.ndarray, bit_depth: int, limited_range: bool) -> np.ndarray:
    """bpgdec's conversion of a gray plane to 8 bits (H x W uint8)."""
    if bit_depth == 8 and not limited_range:
        return np.ascontiguousarray(y, dtype=np.uint8)
    shift, y_one, y_offset, _ = _output_scale(bit_depth, limited_range)
    return np.clip((y.astype(np.int64) * y_one + y_offset) >> shift, 0, 255).astype(np.uint8)


def _output_scale(bit_depth: int, limited_range: bool) -> tuple[int, int, int, float]:
    """(shift, luma multiplier, luma offset incl. rounding, chroma scale) for 8-bit output."""
    shift = 22  # 30 - output bit depth, as bpgdec
    rnd = 1 << (shift - 1)
    mult = 255 * (1 << shift) / ((1 << bit_depth) - 1)
    if not limited_range:
        return shift, _lrint(mult), rnd, mult
    y_one = _lrint(255 * (1 << shift) / (219 << (bit_depth - 8)))
    mult_c = 255 * (1 << shift) / (224 << (bit_depth - 8))
    return shift, y_one, rnd - (16 << (bit_depth - 8)) * y_one, mult_c
