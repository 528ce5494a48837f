"""Encode one picture with x265 (the libx265 inside PyAV's FFmpeg) as libbpg's glue does."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from spic.errors import CodecError

#: bpgenc ``-m`` level -> x265 preset (level 8, the default, is "veryslow").
PRESETS = {1: "superfast", 2: "veryfast", 3: "faster", 4: "fast", 5: "medium",
           6: "slow", 7: "slower", 8: "veryslow", 9: "placebo"}
PIXEL_FORMATS = {0: "gray", 1: "yuv420p", 2: "yuv422p", 3: "yuv444p"}


def encode_planes(planes: list[np.ndarray], chroma_format_idc: int, qp: int, level: int = 8,
                  lossless: bool = False, threads: int = 1, min_cu: int = 8,
                  bit_depth: int = 8) -> bytes:
    """Code planes (uint8, or uint16 for 10/12 bits; dimensions a multiple of ``min_cu``,
    at least 16) as one IDR picture; returns the Annex-B stream.

    Settings follow libbpg's x265 glue: constant QP, tune ssim, intra only, AMP and
    rectangular partitions on, no info SEI.
    """
    if level not in PRESETS:
        raise CodecError(f"bpg: level must be 1..9, got {level}")
    if not 0 <= qp <= 51:
        raise CodecError(f"bpg: quality (QP) must be 0..51, got {qp}")
    if bit_depth not in (8, 10, 12):
        raise CodecError(f"bpg: x265 codes 8, 10 or 12 bits, not {bit_depth}")
    height, width = planes[0].shape
    pix_fmt = PIXEL_FORMATS[chroma_format_idc] + ("" if bit_depth == 8 else f"{bit_depth}le")
    dtype = np.uint8 if bit_depth == 8 else np.dtype("<u2")
    ctx = av.CodecContext.create("libx265", "w")
    ctx.width, ctx.height = width, height
    ctx.pix_fmt = pix_fmt
    ctx.time_base = Fraction(1, 25)
    pools = "none" if threads <= 1 else str(threads)
    params = [f"qp={qp}", "keyint=1", "min-keyint=1", "bframes=0", "info=0", "amp=1", "rect=1",
              "repeat-headers=0", "hash=0", "aud=0", "log-level=none", "frame-threads=1",
              f"pools={pools}", "lookahead-slices=0", "rc-lookahead=0", "scenecut=0",
              f"min-cu-size={min_cu}"]
    if lossless:
        params.append("lossless=1")
    ctx.options = {"preset": PRESETS[level], "tune": "ssim", "x265-params": ":".join(params)}
    frame = av.VideoFrame(width, height, pix_fmt)
    for plane, samples in zip(frame.planes, planes):
        rows = np.frombuffer(plane, dtype).reshape(plane.height, -1)
        rows[:, :plane.width] = samples
    try:
        packets = ctx.encode(frame) + ctx.encode(None)
    except av.FFmpegError as exc:
        raise CodecError(f"bpg: x265 failed: {exc}") from exc
    return b"".join(bytes(p) for p in packets)
