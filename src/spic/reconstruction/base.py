"""The reconstructor interface: (coarse image, SSM) -> full-resolution RGB frame."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from spic.labelsets import LabelSet


class Reconstructor(ABC):
    """Rebuilds a frame from the decoded coarse image and semantic map."""

    @abstractmethod
    def reconstruct(self, coarse: np.ndarray, ssm: np.ndarray, label_set: LabelSet,
                    downscale: int) -> np.ndarray:
        """``coarse``: h x w x 3 uint8; ``ssm``: H x W uint8 at the original size.

        Returns H x W x 3 uint8 RGB at the size of ``ssm``. Raises ``UnsupportedInputError``
        for valid input it does not handle (a label set or downscale its model was not trained
        on) and ``ImageTooLargeError`` above its size limit; callers may fall back on those.
        """
