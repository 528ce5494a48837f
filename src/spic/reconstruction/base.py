"""The reconstructor interface: (coarse image, SSM) -> full-resolution RGB frame."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from spic.labelsets import LabelSet


class Reconstructor(ABC):
    """Rebuilds a frame from the decoded coarse image and semantic map."""

    @abstractmethod
    def reconstruct(self, coarse: np.ndarray, ssm: np.ndarray, label_set: LabelSet,
                    downscale: int, *, coarse_codec: str | None = None,
                    coarse_quality: int | None = None) -> np.ndarray:
        """``coarse``: h x w x 3 uint8; ``ssm``: H x W uint8 at the original size.
        ``coarse_codec`` / ``coarse_quality``: how the coarse image was coded (the payload's
        metadata; None when unknown, e.g. a coarse image made in-process).

        Returns H x W x 3 uint8 RGB at the size of ``ssm``. Raises ``UnsupportedInputError``
        for valid input it does not handle (a label set, downscale or coarse codec its model
        was not trained on; callers may fall back to another reconstructor) and
        ``ImageTooLargeError`` above its size limit (a rejection, never a fallback).
        """
