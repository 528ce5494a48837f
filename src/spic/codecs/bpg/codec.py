"""``BpgCodec``: the registered ``bpg`` coarse-image codec."""

from __future__ import annotations

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec
from spic.codecs.bpg.decoder import decode_bpg
from spic.codecs.bpg.encoder import encode_bpg
from spic.codecs.bpg.header import ColorSpace, PixelFormat
from spic.errors import CodecError

#: The paper's reference setting (``bpgenc -q 35``); bpgenc's own default is 29.
DEFAULT_QUALITY = 35
CHROMA = {"420": PixelFormat.YUV420, "422": PixelFormat.YUV422, "444": PixelFormat.YUV444,
          "gray": PixelFormat.GRAY}
COLOR_SPACES = {"ycbcr": ColorSpace.YCBCR, "rgb": ColorSpace.RGB, "ycgco": ColorSpace.YCGCO}


def _as_bool(value: bool | int | str) -> bool:
    if isinstance(value, str):
        if value.lower() not in ("0", "1", "true", "false", "yes", "no"):
            raise CodecError(f"bpg: expected a boolean, got {value!r}")
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class BpgCodec(ImageCodec):
    """Real BPG (libbpg format 0.9.x) on x265 and FFmpeg's HEVC decoder.

    ``quality`` is bpgenc's ``-q`` (HEVC QP 0..51, smaller is better, default 35).
    Options: ``chroma`` "420" (default) | "422" | "444" | "gray"; ``color_space``
    "ycbcr" (default) | "rgb" | "ycgco"; ``lossless`` (bpgenc ``-lossless``: 4:4:4 RGB,
    or gray for H x W input); ``level`` 1..9 (bpgenc ``-m``, default 8); ``threads``
    (x265 worker threads; decoding is single-threaded); ``bit_depth`` 8 (default), 10
    or 12 (bpgenc ``-b``).
    H x W input is coded as grayscale, like bpgenc does with gray PNGs. Decoding
    reproduces bpgdec's pixels and returns H x W for grayscale files.
    """

    name = "bpg"
    lossless = False
    channels = (1, 3)

    def __init__(self, quality: int | None = None, chroma: str | int = "420",
                 color_space: str = "ycbcr", lossless: bool | int | str = False,
                 level: int = 8, threads: int = 1, bit_depth: int = 8) -> None:
        super().__init__(DEFAULT_QUALITY if quality is None else int(quality))
        if not 0 <= self.quality <= 51:
            raise CodecError(f"bpg: quality must be 0..51, got {self.quality}")
        if str(chroma) not in CHROMA:
            raise CodecError(f"bpg: chroma must be one of {sorted(CHROMA)}, got {chroma!r}")
        if color_space not in COLOR_SPACES:
            raise CodecError(f"bpg: color_space must be one of {sorted(COLOR_SPACES)}")
        if not 1 <= int(level) <= 9:
            raise CodecError(f"bpg: level must be 1..9, got {level}")
        self.pixel_format = CHROMA[str(chroma)]
        self.color_space = COLOR_SPACES[color_space]
        self.lossless = _as_bool(lossless)  # per instance: decode(encode(x)) == x
        if self.lossless and self.pixel_format is not PixelFormat.GRAY:
            self.pixel_format, self.color_space = PixelFormat.YUV444, ColorSpace.RGB
        self.level = int(level)
        self.threads = max(1, int(threads))
        self.bit_depth = int(bit_depth)
        if self.bit_depth not in (8, 10, 12) or (self.lossless and self.bit_depth != 8):
            raise CodecError(f"bpg: bit_depth must be 8, 10 or 12 (8 when lossless), "
                             f"got {bit_depth}")

    def encode(self, image: np.ndarray) -> bytes:
        channels = self.check_input(image)
        pixel_format = PixelFormat.GRAY if channels == 1 else self.pixel_format  # as bpgenc
        return encode_bpg(image, self.quality, pixel_format, self.color_space, self.lossless,
                          self.level, self.threads, self.bit_depth)

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        return decode_bpg(bytes(data), max_pixels)
