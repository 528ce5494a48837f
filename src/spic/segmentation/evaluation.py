"""Score a segmenter on a labelled split: mIoU, per-class IoU, pixel accuracy, ms/frame."""

from __future__ import annotations

import os
import resource
import time

import numpy as np
from tqdm import tqdm

from spic.datasets import Sample, read_labels, read_rgb
from spic.labelsets import get_label_set, mapping_lut
from spic.segmentation.base import Segmenter
from spic.segmentation.conditions import Condition
from spic.confusion import ConfusionMatrix


def evaluate_segmenter(segmenter: Segmenter, samples: list[Sample], warmup: int = 2,
                       progress: bool = False, condition: Condition | None = None) -> dict:
    """Metrics over ``samples`` (intersections/unions summed over the split, void ignored).

    Predictions in another label set are mapped into the dataset's (e.g. cityscapes19 ->
    camvid11); timing covers ``segment()`` only, after ``warmup`` untimed calls.
    ``condition`` (see :mod:`spic.segmentation.conditions`) transforms each frame first.
    """
    if not samples:
        raise ValueError("no samples to evaluate")
    target = get_label_set(samples[0].label_set)
    lut = mapping_lut(segmenter.label_set.id, target.id)
    cm = ConfusionMatrix(target.num_classes)
    for sample in samples[:warmup]:
        segmenter.segment(read_rgb(sample.image))
    times = []
    for index, sample in enumerate(tqdm(samples, desc="eval", disable=not progress)):
        rgb = read_rgb(sample.image)
        if condition is not None:
            rgb = condition(rgb, index)
        start = time.perf_counter()
        pred = segmenter.segment(rgb)
        times.append(time.perf_counter() - start)
        cm.update(read_labels(sample.labels), lut[pred])
    iou = cm.iou()
    ms = 1000 * np.asarray(times)
    return {
        "label_set": target.id,
        "frames": len(samples),
        "miou": round(100 * cm.mean_iou(), 2),
        "pixel_accuracy": round(100 * cm.pixel_accuracy(), 2),
        "per_class_iou": {n: round(100 * float(v), 2) for n, v in zip(target.names, iou)},
        "ms_per_frame_median": round(float(np.median(ms)), 2),
        "ms_per_frame_mean": round(float(ms.mean()), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }
