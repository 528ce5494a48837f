"""Baseline codecs on Pillow: PNG and lossless WebP for maps, WebP and JPEG for coarse images."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from spic.codecs.base import DEFAULT_MAX_PIXELS, ImageCodec, check_size
from spic.errors import CodecError


class _PillowCodec(ImageCodec):
    format: str = ""

    def _save_kwargs(self) -> dict:
        return {}

    def encode(self, image: np.ndarray) -> bytes:
        self.check_input(image)
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format=self.format, **self._save_kwargs())
        return buf.getvalue()

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        try:
            with Image.open(io.BytesIO(data), formats=[self.format]) as img:
                check_size(img.width, img.height, max_pixels, self.name)
                mode = "L" if img.mode in ("L", "P", "1", "I;16") else "RGB"
                return np.asarray(img.convert(mode))
        except CodecError:
            raise
        except Exception as exc:  # Pillow raises many types on corrupt data
            raise CodecError(f"{self.name}: cannot decode: {exc}") from exc


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEAD = struct.Struct(">I4s")


def _check_png_chunks(data: bytes) -> None:
    """Verify the CRC-32 of every chunk, IHDR first and IEND last with nothing after it;
    raises :class:`CodecError`. Pillow alone skips the CRCs of the image data."""
    if not data.startswith(_PNG_SIGNATURE):
        raise CodecError("png: not a PNG file (bad signature)")
    pos, kind = len(_PNG_SIGNATURE), b""
    while kind != b"IEND":
        if pos + _CHUNK_HEAD.size + 4 > len(data):
            raise CodecError("png: truncated file (no IEND chunk)")
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        end = pos + _CHUNK_HEAD.size + length
        if end + 4 > len(data):
            raise CodecError(f"png: truncated {kind!r} chunk")
        if pos == len(_PNG_SIGNATURE) and kind != b"IHDR":
            raise CodecError("png: the first chunk is not IHDR")
        if zlib.crc32(data[pos + 4:end]) != int.from_bytes(data[end:end + 4], "big"):
            raise CodecError(f"png: CRC mismatch in the {kind!r} chunk (corrupt file)")
        pos = end + 4
    if pos != len(data):
        raise CodecError(f"png: {len(data) - pos} bytes after the IEND chunk")


class PngCodec(_PillowCodec):
    """Lossless PNG (zlib level 9); decoding verifies every chunk's CRC-32 first."""

    name = "png"
    lossless = True
    checked = True
    format = "PNG"

    def _save_kwargs(self) -> dict:
        return {"optimize": True}

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        _check_png_chunks(bytes(data))
        return super().decode(data, max_pixels)


class WebpLosslessCodec(_PillowCodec):
    """Lossless WebP (method 6). Grayscale maps are stored as RGB and read back as one channel."""

    name = "webp-lossless"
    lossless = True
    format = "WEBP"
    channels = (1, 3)

    def encode(self, image: np.ndarray) -> bytes:
        channels = self.check_input(image)
        rgb = np.repeat(image[:, :, None], 3, axis=2) if channels == 1 else image
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="WEBP", lossless=True, quality=100, method=6)
        # Mark single-channel content so decode returns HxW.
        return (b"G" if channels == 1 else b"C") + buf.getvalue()

    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        if not data or data[:1] not in (b"G", b"C"):
            raise CodecError("webp-lossless: missing channel marker")
        rgb = super().decode(data[1:], max_pixels)
        return rgb[:, :, 0].copy() if data[:1] == b"G" else rgb


class WebpCodec(_PillowCodec):
    """Lossy WebP; ``quality`` 0..100 (default 75)."""

    name = "webp"
    lossless = False
    format = "WEBP"
    channels = (3,)

    def _save_kwargs(self) -> dict:
        return {"quality": 75 if self.quality is None else int(self.quality), "method": 6}


class JpegCodec(_PillowCodec):
    """Baseline JPEG with 4:2:0 chroma; ``quality`` 1..95 (default 75)."""

    name = "jpeg"
    lossless = False
    format = "JPEG"
    channels = (3,)

    def _save_kwargs(self) -> dict:
        return {"quality": 75 if self.quality is None else int(self.quality), "optimize": True}
