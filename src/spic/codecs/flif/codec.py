"""``FlifCodec``: the registry-facing wrapper around the native ``_flif`` module."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.codecs.flif import _flif
from spic.errors import CodecError

#: ``-E`` effort -> (tree-learning passes, split threshold), as in the reference encoder.
_EFFORT_STEPS = ((9, 0, 5461 * 8 * 5), (50, 1, 5461 * 8 * 5), (70, 2, 5461 * 8 * 8),
                 (90, 3, 5461 * 8 * 10), (100, 4, 5461 * 8 * 12))


def _int_option(name: str, value: object, low: int, high: int) -> int:
    try:
        number = int(value)  # CLI options may arrive as strings
    except (TypeError, ValueError):
        raise CodecError(f"flif: option {name}={value!r} is not an integer") from None
    if not low <= number <= high:
        raise CodecError(f"flif: option {name}={number} is outside {low}..{high}")
    return number


class FlifCodec(ImageCodec):
    """Lossless FLIF for H x W uint8 maps (decoding also reads 8-bit RGB files).

    Options: ``interlaced`` (0/1, default 0: scanline order compresses label maps best),
    ``effort`` (0..100, default 100 = reference ``-E100``), ``repeats`` (tree-learning
    passes, overrides the effort's). ``quality`` is ignored (always lossless).
    Files carry FLIF's CRC-32 of the pixels; ``decode`` requires and verifies it by default.
    """

    name: ClassVar[str] = "flif"
    lossless: ClassVar[bool] = True
    checked: ClassVar[bool] = True  # with require_checksum (the default)
    channels: ClassVar[tuple[int, ...]] = (1,)

    def __init__(self, quality: int | None = None, interlaced: int | bool = 0, effort: int = 100,
                 repeats: int | None = None) -> None:
        super().__init__(quality)
        self.interlaced = bool(_int_option("interlaced", interlaced, 0, 1))
        self.effort = _int_option("effort", effort, 0, 100)
        learn, self.split_threshold = next((r, s) for top, r, s in _EFFORT_STEPS if self.effort <= top)
        self.repeats = learn if repeats is None else _int_option("repeats", repeats, 0, 100)

    def encode(self, image: np.ndarray) -> bytes:
        self.check_input(image)
        height, width = image.shape
        try:
            return _flif.encode(np.ascontiguousarray(image).tobytes(), width, height,
                                interlaced=self.interlaced, learn_repeats=self.repeats,
                                split_threshold=self.split_threshold)
        except ValueError as exc:
            raise CodecError(f"flif: {exc}") from None

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS,
               require_checksum: bool = True) -> np.ndarray:
        """Decode a FLIF file. ``require_checksum``: refuse files without FLIF's optional
        CRC-32 (this encoder always writes it; other encoders may omit it)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise CodecError("flif: expected bytes")
        data = bytes(data)
        try:
            header = _flif.read_header(data)
        except ValueError as exc:
            raise CodecError(f"flif: {exc}") from None
        check_size(header["width"], header["height"], max_pixels, self.name)
        if header["channels"] not in (1, 3) or header["animated"] or header["bit_depth"] != 8:
            raise CodecError(f"flif: only 8-bit grayscale or RGB still images are supported, file has "
                             f"{header['channels']} channel(s), {header['bit_depth']}-bit"
                             f"{', animated' if header['animated'] else ''}")
        try:
            width, height, channels, pixels = _flif.decode(data, max_pixels, require_checksum)
        except ValueError as exc:
            raise CodecError(f"flif: {exc}") from None
        image = np.frombuffer(pixels, dtype=np.uint8)
        return image.reshape(height, width) if channels == 1 else image.reshape(height, width, channels)
