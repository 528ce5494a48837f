"""The BPG file header (libbpg ``doc/bpg_spec.txt``, section 3): parse and serialise."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from spic.codecs.base import check_size
from spic.codecs.bpg.bitstream import read_ue7, write_ue7
from spic.errors import CodecError

MAGIC = b"\x42\x50\x47\xfb"


class PixelFormat(IntEnum):
    """``pixel_format``: chroma layout; the VIDEO variants use MPEG-2 chroma siting."""

    GRAY = 0
    YUV420 = 1
    YUV422 = 2
    YUV444 = 3
    YUV420_VIDEO = 4
    YUV422_VIDEO = 5

    @property
    def chroma_format_idc(self) -> int:
        """The HEVC ``chroma_format_idc`` of the picture data."""
        return {0: 0, 1: 1, 2: 2, 3: 3, 4: 1, 5: 2}[int(self)]

    @property
    def chroma_shift(self) -> tuple[int, int]:
        """log2 of the (horizontal, vertical) chroma subsampling."""
        return {0: (0, 0), 1: (1, 1), 2: (1, 0), 3: (0, 0)}[self.chroma_format_idc]


class ColorSpace(IntEnum):
    """``color_space`` of the colour planes."""

    YCBCR = 0  # BT.601, the JPEG matrix
    RGB = 1  # planes hold G, B, R
    YCGCO = 2
    YCBCR_BT709 = 3
    YCBCR_BT2020 = 4


@dataclass(frozen=True)
class BpgHeader:
    """The fields of a BPG file header that describe the picture."""

    width: int
    height: int
    pixel_format: PixelFormat = PixelFormat.YUV420
    color_space: ColorSpace = ColorSpace.YCBCR
    bit_depth: int = 8
    limited_range: bool = False
    #: Byte length of the HEVC header and data that follow the file header.
    picture_data_length: int = 0

    def to_bytes(self) -> bytes:
        """Serialise as a file header without alpha, extensions or animation."""
        flags1 = (int(self.pixel_format) << 5) | (self.bit_depth - 8)
        flags2 = (int(self.color_space) << 4) | (int(self.limited_range) << 1)
        return (MAGIC + bytes([flags1, flags2]) + write_ue7(self.width)
                + write_ue7(self.height) + write_ue7(self.picture_data_length))


def parse_header(data: bytes, max_pixels: int) -> tuple[BpgHeader, int]:
    """Parse and validate a file header; returns it and the offset of the HEVC header.

    ``picture_data_length`` is resolved (0 means "to the end of the file") and checked
    against the bytes present; sizes above ``max_pixels`` are refused before anything
    is allocated.
    """
    if len(data) < 6:
        raise CodecError("bpg: file too short for a BPG header")
    if data[:4] != MAGIC:
        raise CodecError("bpg: wrong magic, not a BPG file")
    flags1, flags2 = data[4], data[5]
    if flags1 >> 5 > 5:
        raise CodecError(f"bpg: reserved pixel_format {flags1 >> 5}")
    pixel_format = PixelFormat(flags1 >> 5)
    alpha1 = bool(flags1 & 0x10)
    bit_depth = (flags1 & 0x0F) + 8
    if bit_depth > 14:
        raise CodecError(f"bpg: bit depth {bit_depth} is above 14")
    if flags2 >> 4 > 4:
        raise CodecError(f"bpg: reserved color_space {flags2 >> 4}")
    color_space = ColorSpace(flags2 >> 4)
    has_extension = bool(flags2 & 0x08)
    alpha2 = bool(flags2 & 0x04)
    limited_range = bool(flags2 & 0x02)
    animation = bool(flags2 & 0x01)
    if alpha1 or alpha2:
        raise CodecError("bpg: alpha planes are not supported")
    if animation:
        raise CodecError("bpg: animations are not supported")
    if pixel_format is PixelFormat.GRAY and color_space is not ColorSpace.YCBCR:
        raise CodecError("bpg: grayscale pictures must declare color_space 0")
    width, pos = read_ue7(data, 6, "picture_width")
    height, pos = read_ue7(data, pos, "picture_height")
    check_size(width, height, max_pixels, "bpg")
    length, pos = read_ue7(data, pos, "picture_data_length")
    if has_extension:
        ext_length, pos = read_ue7(data, pos, "extension_data_length")
        if pos + ext_length > len(data):
            raise CodecError("bpg: extension data runs past the end of the file")
        pos += ext_length  # metadata (EXIF, ICC, XMP, thumbnails) is skipped
    if length == 0:
        length = len(data) - pos
    if length == 0 or pos + length > len(data):
        raise CodecError(f"bpg: truncated file, picture data needs {length} bytes, "
                         f"{len(data) - pos} present")
    header = BpgHeader(width, height, pixel_format, color_space, bit_depth,
                       limited_range, length)
    return header, pos
