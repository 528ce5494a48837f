"""The reconstructor interface: (coarse image, SSM) -> full-resolution RGB frame."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from spic.cancellation import Cancelled
from spic.labelsets import LabelSet


@dataclass
class ReconstructionInput:
    """One frame's arguments to :meth:`Reconstructor.reconstruct` (for batches)."""

    coarse: np.ndarray
    ssm: np.ndarray
    label_set: LabelSet
    downscale: int
    coarse_codec: str | None = None
    coarse_quality: int | None = None


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

    def reconstruct_batch(self, frames: Sequence[ReconstructionInput]
                          ) -> list[np.ndarray | Exception]:
        """Several frames (e.g. one per stream); each result is the frame or the exception
        :meth:`reconstruct` raised for it, so one bad frame fails only itself. Models
        override this to run the frames in one batched pass; this default runs them in turn.
        :class:`~spic.cancellation.Cancelled` propagates."""
        results: list[np.ndarray | Exception] = []
        for f in frames:
            try:
                results.append(self.reconstruct(f.coarse, f.ssm, f.label_set, f.downscale,
                                                coarse_codec=f.coarse_codec,
                                                coarse_quality=f.coarse_quality))
            except Cancelled:
                raise
            except Exception as exc:  # this frame's failure, reported in its place
                results.append(exc)
        return results
