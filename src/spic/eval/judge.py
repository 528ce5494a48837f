"""The judge: an independent ONNX segmenter whose maps of reconstructions are scored.

Its logits are resized bilinearly to the frame size before the argmax (the sidecar
protocol of ../shared/models), then its labels are mapped into the dataset's label set.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from spic.labelsets import LabelSet, get_label_set, mapping_lut
from spic.segmentation.onnx_segmenter import OnnxSegmenter

#: The default judge, relative to the repository root (absent on a bare clone).
DEFAULT_JUDGE = Path("..") / "shared" / "models" / "espnetv2_cityscapes.onnx"


#: The judges of a default evaluation run, relative to the repository root.
DEFAULT_JUDGES = (DEFAULT_JUDGE, Path("..") / "shared" / "models" / "espnet_camvid.onnx")


def default_judge_path() -> Path | None:
    """``../shared/models/espnetv2_cityscapes.onnx`` beside the checkout, when present."""
    repo = Path(__file__).resolve().parents[3]
    path = (repo / DEFAULT_JUDGE).resolve()
    return path if path.exists() else None


def default_judge_paths() -> list[Path]:
    """Every judge of :data:`DEFAULT_JUDGES` present beside the checkout."""
    repo = Path(__file__).resolve().parents[3]
    return [p for p in ((repo / j).resolve() for j in DEFAULT_JUDGES) if p.exists()]


def parse_size(text: str) -> tuple[int, int]:
    """``"1024x512"`` -> (1024, 512)."""
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 1 or int(h) < 1:
        raise ValueError(f"size must be WIDTHxHEIGHT, got {text!r}")
    return int(w), int(h)


class Judge:
    """Segments frames with an ONNX model and reports labels in ``target`` label set."""

    def __init__(self, model: str | Path, target: str | LabelSet,
                 input_size: tuple[int, int] | None = None, threads: int = 1) -> None:
        self.model = Path(model)
        self.segmenter = OnnxSegmenter(str(self.model), threads=threads, input_size=input_size)
        source = self.segmenter.label_set
        self.target = get_label_set(target) if isinstance(target, str) else target
        channel_labels = np.full(self.segmenter.sidecar.num_output_channels, source.void, np.uint8)
        channel_labels[: source.num_classes] = np.arange(source.num_classes)
        self._lut = mapping_lut(source.id, self.target.id)[channel_labels]

    @property
    def name(self) -> str:
        """The judge's key in results: its model file's stem (e.g. ``espnet_camvid``)."""
        return self.model.stem

    @property
    def input_size(self) -> tuple[int, int] | None:
        return self.segmenter.input_size

    def describe(self) -> dict:
        size = self.input_size
        return {"model": self.model.name, "label_set": self.segmenter.label_set.id,
                "scored_as": self.target.id,
                "input_size": f"{size[0]}x{size[1]}" if size else "frame size"}

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """H x W labels in the target label set (void where the judge says background)."""
        h, w = rgb.shape[:2]
        logits = self.segmenter.logits(rgb)
        if logits.shape[1:] != (h, w):
            logits = cv2.resize(np.ascontiguousarray(logits.transpose(1, 2, 0)), (w, h),
                                interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
        return self._lut[logits.argmax(axis=0)]
