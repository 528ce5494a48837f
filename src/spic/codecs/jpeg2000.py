"""JPEG 2000 (OpenJPEG through imagecodecs), written as a bare J2K codestream.

``quality`` is OpenJPEG's fixed-quality target: the PSNR in dB the encoder aims for
(higher = more bytes; about 20..45 spans 0.01..2 bpp on CamVid frames).
"""

from __future__ import annotations

import struct

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.errors import CodecError

#: SOC marker followed by the SIZ marker: every J2K codestream starts with these.
_J2K_START = b"\xff\x4f\xff\x51"
#: Offsets in the SIZ segment (after SOC): Xsiz, Ysiz, XOsiz, YOsiz (u32 big endian).
_SIZ = struct.Struct(">IIII")
_SIZ_OFFSET = 8
DEFAULT_PSNR_TARGET = 35


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a J2K codestream's SIZ marker, without decoding."""
    if len(data) < _SIZ_OFFSET + _SIZ.size or not data.startswith(_J2K_START):
        raise CodecError("jpeg2000: not a J2K codestream (missing SOC/SIZ markers)")
    xsiz, ysiz, xosiz, yosiz = _SIZ.unpack_from(data, _SIZ_OFFSET)
    return xsiz - xosiz, ysiz - yosiz


class Jpeg2000Codec(ImageCodec):
    """Lossy JPEG 2000 at a target PSNR (``quality`` in dB, default 35)."""

    name = "jpeg2000"
    lossless = False
    channels = (1, 3)

    def __init__(self, quality: int | None = None) -> None:
        super().__init__(quality)
        target = DEFAULT_PSNR_TARGET if quality is None else int(quality)
        if not 1 <= target <= 100:
            raise CodecError(f"jpeg2000: quality (target PSNR dB) must be 1..100, got {target}")
        self.target_psnr = target

    def encode(self, image: np.ndarray) -> bytes:
        import imagecodecs

        self.check_input(image)
        return bytes(imagecodecs.jpeg2k_encode(np.ascontiguousarray(image),
                                               level=self.target_psnr,
                                               codecformat=imagecodecs.JPEG2K.CODEC.J2K))

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        import imagecodecs

        width, height = declared_size(data)
        check_size(width, height, max_pixels, self.name)
        try:
            image = imagecodecs.jpeg2k_decode(data)
        except Exception as exc:  # imagecodecs raises its own error types on corrupt data
            raise CodecError(f"jpeg2000: cannot decode: {exc}") from exc
        if image.dtype != np.uint8 or image.shape[:2] != (height, width) or (
                image.ndim == 3 and image.shape[2] != 3):
            raise CodecError(f"jpeg2000: unsupported decoded image {image.dtype} {image.shape}")
        return image
