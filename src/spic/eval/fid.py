"""Fréchet distance between feature sets, and the feature extractors it is computed on.

Two kinds, never to be confused in results:

* ``inception`` — the standard FID: pytorch-fid's Inception-v3 pool3 (2048-d) features;
  needs the user's pytorch-fid weights file (see :mod:`spic.eval.fid_inception`).
* ``vgg16`` — a NON-STANDARD FID on VGG16 relu5_3 features, global-average-pooled
  (512-d), of frames resized to 224 x 224 (as pytorch-fid resizes to 299 x 299), with the
  ImageNet VGG16 trunk that LPIPS-VGG uses. Comparable only with itself.
"""

from __future__ import annotations

import cv2
import numpy as np

from spic.eval.lpips import Lpips

FID_KINDS = {
    "inception": "FID (pytorch-fid Inception-v3 pool3, 2048-d)",
    "vgg16": "non-standard FID on VGG16 relu5_3 mean-pooled features (512-d) of 224x224 "
             "resized frames; not comparable to Inception FID",
}


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (N-1 normalised) of an N x D feature matrix, N >= 2."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need an N x D feature matrix with N >= 2, got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (numerically) positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray,
                     mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2).

    The trace term is computed as the sum of square roots of the eigenvalues of the
    symmetric PSD matrix S1^1/2 S2 S1^1/2, which is stable for rank-deficient covariances.
    """
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eig, 0, None)).sum())
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)
    return max(value, 0.0)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between two N x D feature sets."""
    return frechet_distance(*feature_stats(features_a), *feature_stats(features_b))


class Vgg16FidFeatures:
    """512-d VGG16 relu5_3 mean-pooled features of the frame resized to 224 x 224."""

    kind = "vgg16"
    size = 224

    def __init__(self, lpips_vgg: Lpips | None = None) -> None:
        self.lpips_vgg = lpips_vgg or Lpips("vgg")

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        resized = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return self.lpips_vgg.features(resized)[-1].mean(dim=(2, 3))[0].double().numpy()
