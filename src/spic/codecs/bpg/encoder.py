"""Image -> BPG file: bpgenc's colour conversion, chroma decimation and padding, x265
coding, then the parameter sets swapped for BPG's compact header."""

from __future__ import annotations

import numpy as np

from spic.codecs.bpg.chroma import decimate, decimate_420
from spic.codecs.bpg.color import gray_to_plane, rgb_to_planes
from spic.codecs.bpg.header import BpgHeader, ColorSpace, PixelFormat
from spic.codecs.bpg.nal import (AUD, EOB, EOS, FD, SEI_PREFIX, SEI_SUFFIX, SPS, VPS,
                                 check_picture_nals, join_bpg_data, nal_type, split_annexb)
from spic.codecs.bpg.parameter_sets import compact_from_sps
from spic.codecs.bpg.x265_encoder import encode_planes
from spic.errors import CodecError

#: bpgenc pads pictures to a multiple of the minimum coding block (8 luma samples);
#: x265 refuses pictures under 16 samples, which then use 16x16 minimum blocks.
MIN_CB = 8
SMALL_MIN_CB = 16
#: NAL units a BPG picture does not need.
_DROPPED = (AUD, EOS, EOB, FD, SEI_PREFIX, SEI_SUFFIX)


def encode_bpg(image: np.ndarray, qp: int, pixel_format: PixelFormat, color_space: ColorSpace,
               lossless: bool = False, level: int = 8, threads: int = 1,
               bit_depth: int = 8) -> bytes:
    """Code an 8-bit H x W (gray) or H x W x 3 (RGB) image as a BPG file of ``bit_depth``
    bits per sample (8, 10 or 12)."""
    height, width = image.shape[:2]
    if pixel_format is PixelFormat.GRAY:
        gray = image if image.ndim == 2 else rgb_to_planes(image, ColorSpace.YCBCR)[0]
        planes = [gray_to_plane(gray, bit_depth)]
        color_space = ColorSpace.YCBCR
    else:
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        planes = rgb_to_planes(image, color_space, bit_depth)
        if pixel_format is PixelFormat.YUV420:
            planes[1:] = [decimate_420(p, bit_depth) for p in planes[1:]]
        elif pixel_format is PixelFormat.YUV422:
            planes[1:] = [decimate(p, 1, bit_depth, precise=False) for p in planes[1:]]
    min_cb = MIN_CB if min(width, height) > MIN_CB else SMALL_MIN_CB
    padded = pad_planes(planes, pixel_format, width, height, min_cb, bit_depth)
    stream = encode_planes(padded, pixel_format.chroma_format_idc, qp, level, lossless,
                           threads, min_cb, bit_depth)
    body = repack_hevc(stream, pixel_format, width, height, bit_depth)
    header = BpgHeader(width, height, pixel_format, color_space, bit_depth, False, len(body))
    return header.to_bytes() + body


def pad_planes(planes: list[np.ndarray], pixel_format: PixelFormat, width: int,
               height: int, min_cb: int = MIN_CB, bit_depth: int = 8) -> list[np.ndarray]:
    """Repeat the last column and row up to a multiple of ``min_cb`` luma samples;
    returns contiguous uint8 planes, or uint16 above 8 bits."""
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    padded_w, padded_h = -(-width // min_cb) * min_cb, -(-height // min_cb) * min_cb
    out = []
    for index, plane in enumerate(planes):
        shift_x, shift_y = pixel_format.chroma_shift if index else (0, 0)
        grow = ((0, (padded_h >> shift_y) - plane.shape[0]),
                (0, (padded_w >> shift_x) - plane.shape[1]))
        out.append(np.ascontiguousarray(np.pad(plane, grow, mode="edge"), dtype=dtype))
    return out


def repack_hevc(stream: bytes, pixel_format: PixelFormat, width: int, height: int,
                bit_depth: int = 8) -> bytes:
    """Replace the VPS/SPS of an x265 stream by BPG's ``hevc_header``; keep PPS + slices."""
    nals = split_annexb(stream)
    kinds = [nal_type(n) for n in nals]
    if kinds[:2] != [VPS, SPS]:
        raise CodecError(f"bpg: x265 output does not start with VPS, SPS: {kinds}")
    compact, derived = compact_from_sps(nals[1])
    cb = compact.min_cb_size
    expected = (pixel_format.chroma_format_idc, -(-width // cb) * cb, -(-height // cb) * cb,
                bit_depth)
    actual = (derived["chroma_format_idc"], derived["width"], derived["height"],
              derived["bit_depth"])
    if actual != expected or any(derived["conformance_window"]):
        raise CodecError(f"bpg: x265 SPS {actual} does not match the BPG picture {expected}")
    picture = [n for n in nals[2:] if nal_type(n) not in _DROPPED]
    check_picture_nals(picture)
    return compact.to_bytes() + join_bpg_data(picture)
