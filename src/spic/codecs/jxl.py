"""JPEG XL lossless (via imagecodecs/libjxl): FLIF's declared successor, for comparison."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.errors import CodecError

_SIGNATURES = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a")


class JxlCodec(ImageCodec):
    """Lossless JPEG XL for H x W label maps and H x W x 3 RGB images.

    ``effort`` 1..10 (default 9) trades encoder time for size; ``quality`` is ignored.
    """

    name: ClassVar[str] = "jxl"
    lossless: ClassVar[bool] = True

    def __init__(self, quality: int | None = None, effort: int = 9) -> None:
        super().__init__(quality)
        try:
            self.effort = int(effort)
        except (TypeError, ValueError):
            raise CodecError(f"jxl: effort {effort!r} is not an integer") from None
        if not 1 <= self.effort <= 10:
            raise CodecError(f"jxl: effort {self.effort} is outside 1..10")

    @staticmethod
    def _lib():
        import imagecodecs

        if not imagecodecs.JPEGXL.available:
            raise CodecError("jxl: this imagecodecs build has no JPEG XL support")
        return imagecodecs

    def encode(self, image: np.ndarray) -> bytes:
        self.check_input(image)
        lib = self._lib()
        try:
            return bytes(lib.jpegxl_encode(np.ascontiguousarray(image), lossless=True, effort=self.effort))
        except Exception as exc:  # libjxl reports failures as its own exception type
            raise CodecError(f"jxl: encoding failed: {exc}") from None

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise CodecError("jxl: expected bytes")
        data = bytes(data)
        if not data.startswith(_SIGNATURES):
            raise CodecError("jxl: not a JPEG XL stream (bad signature)")
        width, height = _declared_size(data)
        check_size(width, height, max_pixels, self.name)
        lib = self._lib()
        try:
            image = lib.jpegxl_decode(data)
        except Exception as exc:
            raise CodecError(f"jxl: corrupt or truncated stream: {exc}") from None
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise CodecError(f"jxl: unsupported decoded image {image.dtype} {image.shape}")
        if image.shape[0] * image.shape[1] > max_pixels:
            raise CodecError("jxl: decoded size differs from the declared size")
        return image


class _Bits:
    """LSB-first bit reader for the JPEG XL size header."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, count: int) -> int:
        value = 0
        for i in range(count):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise CodecError("jxl: truncated header")
            value |= ((self.data[byte] >> (self.pos & 7)) & 1) << i
            self.pos += 1
        return value


def _codestream(data: bytes) -> bytes:
    """The codestream start (bare stream, or the first jxlc/jxlp box of a container)."""
    if data.startswith(b"\xff\x0a"):
        return data
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        if kind == b"jxlc":
            return data[pos + header:]
        if kind == b"jxlp":
            return data[pos + header + 4:]
        if size < header:
            break
        pos += size
    raise CodecError("jxl: container without a codestream box")


def _declared_size(data: bytes) -> tuple[int, int]:
    """Width and height from the SizeHeader (ISO/IEC 18181-1), read before decoding."""
    stream = _codestream(data)
    if not stream.startswith(b"\xff\x0a"):
        raise CodecError("jxl: bad codestream signature")
    bits = _Bits(stream[2:])

    def u32(dist: tuple[tuple[int, int], ...]) -> int:
        offset, nbits = dist[bits.read(2)]
        return offset + (bits.read(nbits) if nbits else 0)

    ratios = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
    dims = ((1, 9), (1, 13), (1, 18), (1, 30))
    small = bits.read(1)
    if small:
        height = (bits.read(5) + 1) * 8
    else:
        height = u32(dims)
    ratio = bits.read(3)
    if ratio:
        num, den = ratios[ratio]
        return height * num // den, height
    if small:
        return (bits.read(5) + 1) * 8, height
    return u32(dims), height
