"""Decode one HEVC intra picture with FFmpeg's decoder (through PyAV) into sample planes."""

from __future__ import annotations

import av
import numpy as np

from spic.errors import CodecError


def decode_planes(stream: bytes, width: int, height: int, bit_depth: int) -> list[np.ndarray]:
    """Decode an Annex-B stream holding one picture; returns its planes cropped to
    ``width`` x ``height`` luma samples (chroma rounded up), uint8 or uint16.

    Single-threaded: FFmpeg's HEVC threads need several frames, tiles or WPP, which a
    BPG picture does not have, so more threads only add overhead."""
    ctx = av.CodecContext.create("hevc", "r")
    ctx.thread_count = 1
    ctx.options = {"err_detect": "explode"}  # corrupt slices raise instead of concealing
    try:
        frames = ctx.decode(av.Packet(stream)) + ctx.decode(None)
    except (av.FFmpegError, ValueError) as exc:
        raise CodecError(f"bpg: HEVC decoding failed: {exc}") from exc
    if len(frames) != 1:
        raise CodecError(f"bpg: expected one decoded picture, got {len(frames)}")
    frame = frames[0]
    if frame.width < width or frame.height < height:
        raise CodecError("bpg: decoded picture is smaller than the declared size")
    if frame.format.components[0].bits != bit_depth or frame.format.name.endswith("be"):
        raise CodecError(f"bpg: unexpected decoder output format {frame.format.name}")
    dtype = np.uint8 if bit_depth == 8 else np.dtype("<u2")
    planes = []
    for index, plane in enumerate(frame.planes):
        sub_w = frame.width // plane.width if index else 1
        sub_h = frame.height // plane.height if index else 1
        rows = np.frombuffer(plane, dtype).reshape(plane.height, -1)
        planes.append(rows[:-(-height // sub_h), :-(-width // sub_w)])
    return planes
