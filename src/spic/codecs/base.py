"""The image-codec interface every registered codec implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from spic.errors import CodecError, ImageTooLargeError

#: The project's one pixel limit (a realistic camera: 4K UHD, 8.3 MP). Decoders refuse larger
#: declared images before allocating; the pipeline, reconstructors, segmenters and nodes use it.
DEFAULT_MAX_PIXELS = 3840 * 2160


class ImageCodec(ABC):
    """Encodes uint8 images (H x W label/gray maps or H x W x 3 RGB) to bytes and back.

    Instances are configured once (quality, effort, ...) and are reusable.
    """

    name: ClassVar[str]
    #: True when ``decode(encode(x)) == x`` exactly.
    lossless: ClassVar[bool]
    #: True when ``decode`` verifies an integrity check over the decoded image (a checksum
    #: written by ``encode``) and raises :class:`CodecError` instead of returning an image
    #: that differs from the encoded one. SSM decoders accept only lossless, checked codecs.
    checked: ClassVar[bool] = False
    #: True when ``encode(image, reference=previous)`` can code an image against a reference
    #: (inter-frame) and ``decode(data, max_pixels, reference=previous)`` decodes it.
    inter: ClassVar[bool] = False
    #: Accepted channel counts: 1 means an H x W array, 3 an H x W x 3 RGB array.
    channels: ClassVar[tuple[int, ...]] = (1, 3)

    def __init__(self, quality: int | None = None) -> None:
        self.quality = quality

    @abstractmethod
    def encode(self, image: np.ndarray) -> bytes:
        """Encode a uint8 image; raises :class:`CodecError` on unsupported input."""

    @abstractmethod
    def decode(self, data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        """Decode bytes; raises :class:`CodecError` on corrupt data and
        :class:`ImageTooLargeError` when the declared size exceeds ``max_pixels``."""

    def is_inter(self, data: bytes) -> bool:
        """Whether ``data`` was coded against a reference (only ``inter`` codecs say yes)."""
        return False

    def check_input(self, image: np.ndarray) -> int:
        """Validate an image for :meth:`encode`; returns its channel count."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
            raise CodecError(f"{self.name}: expected a uint8 numpy array")
        if image.ndim == 2:
            channels = 1
        elif image.ndim == 3 and image.shape[2] == 3:
            channels = 3
        else:
            raise CodecError(f"{self.name}: expected HxW or HxWx3, got shape {image.shape}")
        if channels not in self.channels:
            raise CodecError(f"{self.name}: {channels}-channel images are not supported")
        if image.shape[0] < 1 or image.shape[1] < 1:
            raise CodecError(f"{self.name}: empty image {image.shape}")
        return channels


def check_size(width: int, height: int, max_pixels: int, codec: str) -> None:
    """Refuse declared sizes that are empty or above ``max_pixels`` (before allocating)."""
    if width <= 0 or height <= 0:
        raise CodecError(f"{codec}: invalid declared size {width}x{height}")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{codec}: declared size {width}x{height} exceeds the limit of {max_pixels} pixels"
        )
