"""Baseline codecs on Pillow: PNG and lossless WebP for maps, WebP and JPEG for coarse images."""

from __future__ import annotations

import io

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


class PngCodec(_PillowCodec):
    """Lossless PNG (zlib level 9)."""

    name = "png"
    lossless = True
    format = "PNG"

    def _save_kwargs(self) -> dict:
        return {"optimize": True}


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
