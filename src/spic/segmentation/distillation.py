"""Teacher outputs for knowledge distillation, computed once and cached on disk.

The teacher is any ONNX segmenter with a sidecar (see :mod:`onnx_segmenter`); its raw
logits at the frame size are stored as float16 in one ``.npy`` (N x C x H x W) under the
cache folder, keyed by the teacher file and the sample list, and memory-mapped for training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from spic.datasets import Sample, read_rgb


def cache_key(teacher: Path, samples: list[Sample]) -> str:
    """Stable key of (teacher file identity, sample names)."""
    stat = teacher.stat()
    digest = hashlib.sha256(f"{teacher.resolve()}:{stat.st_size}".encode())
    for s in samples:
        digest.update(s.name.encode() + b"\0")
    return digest.hexdigest()[:16]


def teacher_logits(teacher: str | Path, samples: list[Sample], cache_dir: str | Path,
                   threads: int = 1, progress: bool = True) -> np.ndarray:
    """Memory-mapped float16 teacher logits (N x C x H x W) for ``samples``; computed if absent.

    All samples must share one frame size. Logits are resized (bilinear) to the frame size
    when the teacher runs at another input size.
    """
    from spic.segmentation.onnx_segmenter import OnnxSegmenter

    teacher = Path(teacher)
    if not samples:
        raise ValueError("no samples to distil from")
    path = Path(cache_dir) / f"teacher_{teacher.stem}_{cache_key(teacher, samples)}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    seg = OnnxSegmenter(str(teacher), threads=threads)
    first = read_rgb(samples[0].image)
    h, w = first.shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16,
                                    shape=(len(samples), seg.sidecar.num_output_channels, h, w))
    for i, sample in enumerate(tqdm(samples, desc="teacher", disable=not progress)):
        rgb = first if i == 0 else read_rgb(sample.image)
        if rgb.shape[:2] != (h, w):
            raise ValueError(f"{sample.image}: size {rgb.shape[1]}x{rgb.shape[0]} differs "
                             f"from {w}x{h}; distillation needs one frame size")
        logits = seg.logits(rgb)
        if logits.shape[1:] != (h, w):
            logits = cv2.resize(logits.transpose(1, 2, 0), (w, h),
                                interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
        out[i] = logits.astype(np.float16)
    out.flush()
    del out
    tmp.replace(path)
    return np.load(path, mmap_mode="r")
