"""Confusion matrices and IoU accumulated over a whole split (void ignored, absent classes skipped)."""

from __future__ import annotations

import numpy as np


class ConfusionMatrix:
    """``counts[t, p]``: pixels of reference class ``t`` predicted as ``p``.

    Reference pixels outside ``0..num_classes-1`` (void) are ignored. Predictions outside
    that range (void or unknown) land in an extra last column: they count as misses.
    """

    def __init__(self, num_classes: int, counts: np.ndarray | None = None) -> None:
        self.num_classes = num_classes
        shape = (num_classes, num_classes + 1)
        self.counts = np.zeros(shape, np.int64) if counts is None else np.asarray(counts, np.int64)
        if self.counts.shape != shape:
            raise ValueError(f"confusion counts must be {shape}, got {self.counts.shape}")

    def update(self, reference: np.ndarray, prediction: np.ndarray) -> "ConfusionMatrix":
        """Add one map pair (same shape, integer labels)."""
        if reference.shape != prediction.shape:
            raise ValueError(f"label maps differ in shape: {reference.shape} vs {prediction.shape}")
        k = self.num_classes
        ref = reference.ravel().astype(np.int64)
        pred = prediction.ravel().astype(np.int64)
        keep = (ref >= 0) & (ref < k)
        pred = np.where((pred >= 0) & (pred < k), pred, k)[keep]
        self.counts += np.bincount(ref[keep] * (k + 1) + pred,
                                   minlength=k * (k + 1)).reshape(k, k + 1)
        return self

    def __add__(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        return ConfusionMatrix(self.num_classes, self.counts + other.counts)

    def iou(self) -> np.ndarray:
        """Per-class IoU; NaN for classes absent from both reference and prediction."""
        k = self.num_classes
        tp = np.diag(self.counts[:, :k]).astype(np.float64)
        fn = self.counts.sum(axis=1) - tp
        fp = self.counts[:, :k].sum(axis=0) - tp
        union = tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, tp / np.maximum(union, 1), np.nan)

    def mean_iou(self) -> float:
        """Mean IoU over classes present in the reference or the prediction (NaN if none)."""
        iou = self.iou()
        return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")

    def pixel_accuracy(self) -> float:
        total = self.counts.sum()
        return float(np.trace(self.counts[:, : self.num_classes]) / total) if total else float("nan")
