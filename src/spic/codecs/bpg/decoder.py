"""BPG file -> image: parse the header, rebuild VPS/SPS, decode with FFmpeg's HEVC
decoder, then bpgdec's chroma interpolation and colour conversion."""

from __future__ import annotations

import numpy as np

from spic.codecs.bpg.chroma import upsample_420, upsample_422
from spic.codecs.bpg.color import gray_to_output, planes_to_rgb
from spic.codecs.bpg.header import BpgHeader, PixelFormat, parse_header
from spic.codecs.bpg.hevc_decoder import decode_planes
from spic.codecs.bpg.nal import check_picture_nals, split_bpg_data
from spic.codecs.bpg.parameter_sets import START_CODE, build_parameter_sets, parse_compact

_JPEG_SITING = (PixelFormat.YUV420, PixelFormat.YUV422)


def hevc_stream(data: bytes, max_pixels: int) -> tuple[BpgHeader, bytes]:
    """The header of a BPG file and its picture as a standard Annex-B HEVC stream."""
    header, pos = parse_header(data, max_pixels)
    end = pos + header.picture_data_length
    compact, pos = parse_compact(data, pos, end)
    nals = split_bpg_data(data[pos:end])
    check_picture_nals(nals)
    parameter_sets = build_parameter_sets(compact, header.width, header.height,
                                          header.pixel_format.chroma_format_idc,
                                          header.bit_depth)
    return header, parameter_sets + START_CODE + START_CODE.join(nals)


def decode_bpg_planes(data: bytes, max_pixels: int) -> tuple[BpgHeader, list[np.ndarray]]:
    """The header and the decoded sample planes (cropped, chroma not upsampled)."""
    header, stream = hevc_stream(data, max_pixels)
    planes = decode_planes(stream, header.width, header.height, header.bit_depth)
    return header, planes


def decode_bpg(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode a BPG file to 8-bit pixels exactly as bpgdec does: H x W for grayscale,
    H x W x 3 RGB otherwise."""
    header, planes = decode_bpg_planes(data, max_pixels)
    if header.pixel_format is PixelFormat.GRAY:
        return gray_to_output(planes[0], header.bit_depth, header.limited_range)
    y, cb, cr = planes
    siting = header.pixel_format in _JPEG_SITING
    if header.pixel_format in (PixelFormat.YUV420, PixelFormat.YUV420_VIDEO):
        cb, cr = (upsample_420(c, header.width, header.height, header.bit_depth, siting)
                  for c in (cb, cr))
    elif header.pixel_format in (PixelFormat.YUV422, PixelFormat.YUV422_VIDEO):
        cb, cr = (upsample_422(c, header.width, header.bit_depth, siting) for c in (cb, cr))
    return planes_to_rgb(y, cb, cr, header.color_space, header.bit_depth,
                         header.limited_range)
