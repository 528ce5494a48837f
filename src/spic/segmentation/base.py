"""The segmenter interface: RGB uint8 frame -> uint8 label map in a named label set."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from spic.labelsets import LabelSet


class Segmenter(ABC):
    """Produces a semantic segmentation map (SSM) for a frame."""

    label_set: LabelSet

    @abstractmethod
    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 RGB -> H x W uint8 labels (``label_set.void`` where unknown)."""
