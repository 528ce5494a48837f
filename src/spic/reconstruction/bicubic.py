"""Baseline reconstructor: bicubic upsampling of the coarse image (ignores the SSM)."""

from __future__ import annotations

import numpy as np

from spic.image_ops import upscale_to
from spic.labelsets import LabelSet
from spic.reconstruction.base import Reconstructor


class BicubicReconstructor(Reconstructor):
    """Upsample the coarse image bicubically to the original frame size."""

    def reconstruct(self, coarse: np.ndarray, ssm: np.ndarray, label_set: LabelSet,
                    downscale: int, *, coarse_codec: str | None = None,
                    coarse_quality: int | None = None) -> np.ndarray:
        height, width = ssm.shape
        return upscale_to(coarse, width, height, downscale)
