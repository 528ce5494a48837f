"""JPEG XL lossless (via imagecodecs/libjxl): FLIF's declared successor, for comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

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
        header = read_header(data)
        check_size(header.width, header.height, max_pixels, self.name)
        if header.animated:
            raise CodecError("jxl: animations are not supported (one still image only)")
        lib = self._lib()
        try:
            image = lib.jpegxl_decode(data, index=0)  # never more than the first frame
        except Exception as exc:
            raise CodecError(f"jxl: corrupt or truncated stream: {exc}") from None
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise CodecError(f"jxl: unsupported decoded image {image.dtype} {image.shape}")
        if image.shape[0] * image.shape[1] != header.width * header.height:
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


#: U32 distributions as (offset, bits) per selector (ISO/IEC 18181-1).
_DIMS = ((1, 9), (1, 13), (1, 18), (1, 30))
_PREVIEW_DIV8 = ((16, 0), (32, 0), (1, 5), (33, 9))
_PREVIEW = ((1, 6), (65, 8), (321, 10), (1345, 12))
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


@dataclass(frozen=True)
class JxlHeader:
    """What a JPEG XL codestream declares before any frame: image size, animation."""

    width: int
    height: int
    animated: bool


def _u32(bits: _Bits, dist: tuple[tuple[int, int], ...]) -> int:
    offset, nbits = dist[bits.read(2)]
    return offset + (bits.read(nbits) if nbits else 0)


def _size(bits: _Bits, read_small: Callable[[], int],
          dist: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """(width, height) of a SizeHeader or PreviewHeader; ``read_small`` reads one side in the
    header's compact multiple-of-8 form, used when its first bit is set."""
    read = read_small if bits.read(1) else (lambda: _u32(bits, dist))
    height = read()
    ratio = bits.read(3)
    if ratio:
        num, den = _RATIOS[ratio]
        return height * num // den, height
    return read(), height


def read_header(data: bytes) -> JxlHeader:
    """The SizeHeader and the start of ImageMetadata (ISO/IEC 18181-1), read before decoding."""
    stream = _codestream(data)
    if not stream.startswith(b"\xff\x0a"):
        raise CodecError("jxl: bad codestream signature")
    bits = _Bits(stream[2:])

    def small() -> int:
        return (bits.read(5) + 1) * 8

    def preview_div8() -> int:
        return _u32(bits, _PREVIEW_DIV8) * 8

    width, height = _size(bits, small, _DIMS)
    animated = False
    if not bits.read(1) and bits.read(1):  # not all_default, extra_fields
        bits.read(3)  # orientation
        if bits.read(1):  # intrinsic size
            _size(bits, small, _DIMS)
        if bits.read(1):  # preview
            _size(bits, preview_div8, _PREVIEW)
        animated = bool(bits.read(1))
    return JxlHeader(width, height, animated)
