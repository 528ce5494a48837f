"""The segmenter interface: RGB uint8 frame -> uint8 label map in a named label set."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS
from spic.errors import SpicError
from spic.labelsets import LabelSet

#: Largest frame a segmenter accepts by default (the project's limit); checked before allocating.
MAX_PIXELS = DEFAULT_MAX_PIXELS


class FrameError(SpicError):
    """A frame given to a segmenter is not an H x W x 3 uint8 image of a usable size."""


def check_frame(rgb: np.ndarray, min_side: int = 1, max_pixels: int = MAX_PIXELS) -> None:
    """Raise :class:`FrameError` unless ``rgb`` is H x W x 3 uint8 within the size limits."""
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise FrameError(f"expected an H x W x 3 RGB array, got shape {getattr(rgb, 'shape', None)}")
    if rgb.dtype != np.uint8:
        raise FrameError(f"expected uint8 pixels, got {rgb.dtype}")
    h, w = rgb.shape[:2]
    if min(h, w) < min_side:
        raise FrameError(f"frame {w}x{h} is smaller than {min_side} px on a side")
    if h * w > max_pixels:
        raise FrameError(f"frame {w}x{h} exceeds the {max_pixels}-pixel limit")


class Segmenter(ABC):
    """Produces a semantic segmentation map (SSM) for a frame."""

    label_set: LabelSet

    @abstractmethod
    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 RGB -> H x W uint8 labels (``label_set.void`` where unknown)."""
