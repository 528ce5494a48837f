"""Teacher outputs for knowledge distillation, computed once and cached on disk.

A teacher is any ONNX segmenter with a sidecar (see :mod:`onnx_segmenter`). Its output at
the frame size is stored as log-probabilities over the *student's* classes, float16, in one
``.npy`` (N x C x H x W) under the cache folder, keyed by the teacher file, the student's
label set and the sample list, and memory-mapped for training. A teacher of another label
set (ESPNetv2-Cityscapes for a CamVid-11 student) has its class probabilities summed into
the student's classes through :func:`spic.labelsets.mapping_lut`; channels beyond its label
set (a void or background channel) are dropped before the softmax.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from spic.datasets import Sample, read_rgb
from spic.labelsets import get_label_set, mapping_lut

FORMAT = "logprob-v2"  # what a cache file holds (raw logits before; those files are not reused)
FLOOR = -30.0          # log-probabilities below this are stored as this (float16 range)


def cache_key(teacher: Path, samples: list[Sample], label_set: str) -> str:
    """Stable key of (teacher file identity, student label set, sample names)."""
    stat = teacher.stat()
    digest = hashlib.sha256(f"{FORMAT}:{teacher.resolve()}:{stat.st_size}:{label_set}".encode())
    for s in samples:
        digest.update(s.name.encode() + b"\0")
    return digest.hexdigest()[:16]


def student_log_probs(logits: np.ndarray, teacher_set: str, student_set: str) -> np.ndarray:
    """Log-probabilities (C_student x H x W, float32) of a teacher's logits (C x H x W)."""
    source, target = get_label_set(teacher_set), get_label_set(student_set)
    z = logits[: source.num_classes].astype(np.float32)
    z = z - z.max(axis=0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=0, keepdims=True)
    lut = mapping_lut(teacher_set, student_set)[: source.num_classes]
    grouped = np.zeros((target.num_classes, *p.shape[1:]), np.float32)
    for k, c in enumerate(lut):
        if c < target.num_classes:
            grouped[c] += p[k]
    return np.maximum(np.log(np.maximum(grouped, 1e-30)), FLOOR)


def teacher_log_probs(teacher: str | Path, samples: list[Sample], cache_dir: str | Path,
                   threads: int = 1, progress: bool = True) -> np.ndarray:
    """Memory-mapped float16 teacher log-probabilities over the samples' label set
    (N x C x H x W) for ``samples``; computed if absent.

    All samples must share one frame size. Logits are resized (bilinear) to the frame size
    when the teacher runs at another input size.
    """
    from spic.segmentation.onnx_segmenter import OnnxSegmenter

    teacher = Path(teacher)
    if not samples:
        raise ValueError("no samples to distil from")
    student_set = samples[0].label_set
    key = cache_key(teacher, samples, student_set)
    path = Path(cache_dir) / f"teacher_{teacher.stem}_{key}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    seg = OnnxSegmenter(str(teacher), threads=threads)
    classes = get_label_set(student_set).num_classes
    first = read_rgb(samples[0].image)
    h, w = first.shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16,
                                    shape=(len(samples), classes, h, w))
    for i, sample in enumerate(tqdm(samples, desc="teacher", disable=not progress)):
        rgb = first if i == 0 else read_rgb(sample.image)
        if rgb.shape[:2] != (h, w):
            raise ValueError(f"{sample.image}: size {rgb.shape[1]}x{rgb.shape[0]} differs "
                             f"from {w}x{h}; distillation needs one frame size")
        logits = seg.logits(rgb)
        if logits.shape[1:] != (h, w):
            logits = cv2.resize(logits.transpose(1, 2, 0), (w, h),
                                interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
        out[i] = student_log_probs(logits, seg.label_set.id, student_set).astype(np.float16)
    out.flush()
    del out
    tmp.replace(path)
    return np.load(path, mmap_mode="r")
