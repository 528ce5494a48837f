"""Chroma resampling as libbpg does it: bpgenc's 10-tap decimation before coding and
bpgdec's 7/8-tap interpolation after decoding (JPEG or MPEG-2 chroma siting)."""

from __future__ import annotations

import numpy as np

#: bpgenc's half-band decimation filter, taps for samples 2i-4 .. 2i+5 (sum 128).
DECIMATE_TAPS = (2, -4, -8, 17, 57, 57, 17, -8, -4, 2)
#: bpgdec's quarter-phase interpolation filter for samples i-3 .. i+3 (sum 64):
#: the first output of each pair lies a quarter sample before ``i``, the second after.
QUARTER_TAPS_BEFORE = (2, -6, 18, 57, -10, 4, -1)
QUARTER_TAPS_AFTER = QUARTER_TAPS_BEFORE[::-1]
#: bpgdec's half-phase filter for samples i-3 .. i+4 (MPEG-2 siting, sum 64).
HALF_TAPS = (-1, 4, -11, 40, 40, -11, 4, -1)


def _filter(padded: np.ndarray, taps: np.ndarray, count: int, step: int, axis: int) -> np.ndarray:
    """``sum_k taps[k] * padded[step * i + k]`` along ``axis`` for i < count."""
    moved = np.moveaxis(padded, axis, 0)
    end = step * (count - 1) + 1
    out = int(taps[0]) * moved[:end:step]
    for k in range(1, len(taps)):
        out += int(taps[k]) * moved[k:k + end:step]
    return np.moveaxis(out, 0, axis)


def _edge_pad(plane: np.ndarray, before: int, after: int, axis: int) -> np.ndarray:
    """Repeat the edge samples; int32 holds every intermediate sum for bit depths <= 14."""
    widths = [(0, 0)] * plane.ndim
    widths[axis] = (before, after)
    return np.pad(plane.astype(np.int32), widths, mode="edge")


def _interleave(first: np.ndarray, second: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Alternate samples of ``first`` and ``second`` along ``axis``, cut to ``length``."""
    shape = list(first.shape)
    shape[axis] *= 2
    out = np.empty(shape, dtype=first.dtype)
    index = [slice(None)] * first.ndim
    index[axis] = slice(0, None, 2)
    out[tuple(index)] = first
    index[axis] = slice(1, None, 2)
    out[tuple(index)] = second
    index[axis] = slice(0, length)
    return out[tuple(index)]


def decimate(plane: np.ndarray, axis: int, bit_depth: int, precise: bool) -> np.ndarray:
    """Halve ``plane`` along ``axis`` with bpgenc's filter (edge samples repeated).

    ``precise`` keeps 6 extra fraction bits without clamping (bpgenc's first pass of a
    4:2:0 decimation); otherwise the result is rounded and clamped to ``bit_depth``.
    """
    n = plane.shape[axis]
    count = (n + 1) // 2
    padded = _edge_pad(plane, 4, 5, axis)
    total = _filter(padded, DECIMATE_TAPS, count, 2, axis)
    if precise:
        shift = bit_depth - 7
        return (total + (1 << (shift - 1))) >> shift
    return np.clip((total + 64) >> 7, 0, (1 << bit_depth) - 1)


def decimate_420(plane: np.ndarray, bit_depth: int) -> np.ndarray:
    """bpgenc's 4:4:4 -> 4:2:0 chroma decimation (horizontal first, then vertical)."""
    rows = decimate(plane, 1, bit_depth, precise=True)
    n = rows.shape[0]
    padded = _edge_pad(rows, 4, 5, 0)
    total = _filter(padded, DECIMATE_TAPS, (n + 1) // 2, 2, 0)
    shift = 21 - bit_depth
    return np.clip((total + (1 << (shift - 1))) >> shift, 0, (1 << bit_depth) - 1)


def _upsample_quarter(plane: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The quarter-phase outputs before and after each sample along ``axis``."""
    padded = _edge_pad(plane, 3, 3, axis)
    n = plane.shape[axis]
    return (_filter(padded, QUARTER_TAPS_BEFORE, n, 1, axis),
            _filter(padded, QUARTER_TAPS_AFTER, n, 1, axis))


def _upsample_rows(plane: np.ndarray, width: int, bit_depth: int, jpeg_siting: bool,
                   shift: int) -> np.ndarray:
    """Horizontal 2x interpolation of rows carrying ``shift`` - 6 extra fraction bits."""
    top = (1 << bit_depth) - 1
    offset = 1 << (shift - 1)
    if jpeg_siting:
        before, after = _upsample_quarter(plane, 1)
        even = (before + offset) >> shift
        odd = (after + offset) >> shift
    else:
        padded = _edge_pad(plane, 3, 4, 1)
        even_shift = shift - 6
        even = (plane.astype(np.int32) + ((1 << even_shift) >> 1)) >> even_shift
        odd = (_filter(padded, HALF_TAPS, plane.shape[1], 1, 1) + offset) >> shift
    return np.clip(_interleave(even, odd, width, 1), 0, top)


def upsample_420(plane: np.ndarray, width: int, height: int, bit_depth: int,
                 jpeg_siting: bool = True) -> np.ndarray:
    """bpgdec's 4:2:0 -> 4:4:4 interpolation: vertical pass kept at 14 bits, then
    horizontal with rounding (chroma between luma rows, JPEG or MPEG-2 column siting)."""
    up, down = _upsample_quarter(plane, 0)
    vshift = bit_depth - 8
    vround = (1 << vshift) >> 1
    rows = _interleave((up + vround) >> vshift, (down + vround) >> vshift, height, 0)
    return _upsample_rows(rows, width, bit_depth, jpeg_siting, 20 - bit_depth)


def upsample_422(plane: np.ndarray, width: int, bit_depth: int,
                 jpeg_siting: bool = True) -> np.ndarray:
    """bpgdec's 4:2:2 -> 4:4:4 horizontal interpolation."""
    return _upsample_rows(plane.astype(np.int32) << 6, width, bit_depth, jpeg_siting, 12)
