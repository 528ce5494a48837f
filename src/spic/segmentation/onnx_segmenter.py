"""Run any ONNX segmenter described by a JSON sidecar (the format of ../shared/models/*.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from spic.labelsets import LabelSet, get_label_set
from spic.runtime import cpu_session
from spic.segmentation.base import MAX_PIXELS, Segmenter, check_frame


class SidecarError(ValueError):
    """A model sidecar is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Sidecar:
    """What the runtime needs from a model's JSON sidecar."""

    label_set: LabelSet
    num_output_channels: int
    multiple_of: int
    min_height: int
    min_width: int
    recommended_size: tuple[int, int] | None  # (width, height)

    @classmethod
    def load(cls, path: str | Path) -> "Sidecar":
        try:
            meta = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SidecarError(f"cannot read sidecar {path}: {exc}") from exc
        try:
            label_set = get_label_set(meta["label_set"])
            channels = int(meta["num_output_channels"])
            names = meta["class_names"]
            rule = meta["input"].get("size_constraint", {})
            multiple = int(rule.get("multiple_of", 1))
            min_h, min_w = int(rule.get("min_height", 1)), int(rule.get("min_width", 1))
            rec = meta.get("recommended_camvid_input") or meta.get("recommended_input")
            rec_size = (int(rec["width"]), int(rec["height"])) if rec else None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SidecarError(f"malformed sidecar {path}: {exc!r}") from exc
        if (not isinstance(names, list) or len(names) != channels
                or channels < label_set.num_classes):
            raise SidecarError(
                f"sidecar {path}: {channels} output channels, class_names "
                f"{'of length ' + str(len(names)) if isinstance(names, list) else 'not a list'}, "
                f"label set {label_set.id} needs at least {label_set.num_classes}"
            )
        expected = [n.lower() for n in label_set.names]
        given = [str(n).lower() for n in names[: label_set.num_classes]]
        if given != expected:
            raise SidecarError(f"sidecar {path}: class_names {names[:label_set.num_classes]} "
                               f"are not label set {label_set.id}'s classes in order {list(label_set.names)}")
        if multiple < 1 or min_h < 1 or min_w < 1:
            raise SidecarError(f"sidecar {path}: multiple_of and min sizes must be >= 1")
        if rec_size and (min(rec_size) < 1 or rec_size[0] % multiple or rec_size[1] % multiple):
            raise SidecarError(f"sidecar {path}: recommended input {rec_size} breaks the size rule")
        return cls(label_set, channels, multiple, min_h, min_w, rec_size)

    def allowed_size(self, width: int, height: int) -> tuple[int, int]:
        """Nearest allowed (width, height) to the requested size."""
        def fit(v: int, lo: int) -> int:
            v = max(v, lo)
            return max(self.multiple_of, int(round(v / self.multiple_of)) * self.multiple_of)
        return fit(width, self.min_width), fit(height, self.min_height)


def parse_size(text: str) -> tuple[int, int]:
    """``"512x256"`` or ``"512,256"`` -> ``(512, 256)`` (width, height)."""
    parts = text.lower().replace("x", ",").split(",")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"input_size must be WIDTHxHEIGHT, got {text!r}") from None
    if w < 1 or h < 1:
        raise ValueError(f"input_size must be positive, got {text!r}")
    return w, h


class OnnxSegmenter(Segmenter):
    """onnxruntime (CPU) segmenter; labels beyond the label set's classes become void.

    ``input_size`` (w, h) or ``"WxH"``: the network input size, rounded to an allowed one;
    default the sidecar's recommended size, else the frame size rounded to an allowed size.
    ``spinning``: let idle onnxruntime threads spin (faster on an idle CPU, much slower on
    a busy shared one).
    """

    def __init__(self, model: str | None = None, sidecar: str | None = None, threads: int = 2,
                 input_size: tuple[int, int] | str | None = None,
                 max_pixels: int = MAX_PIXELS, spinning: bool = False) -> None:
        if not model:
            raise ValueError("the onnx segmenter needs model=PATH.onnx (sidecar PATH.json beside it)")
        model_path = Path(model)
        self.sidecar = Sidecar.load(sidecar or model_path.with_suffix(".json"))
        self.max_pixels = max_pixels
        self.label_set = self.sidecar.label_set
        self.session = cpu_session(str(model_path), threads, spinning)
        if isinstance(input_size, str):
            input_size = parse_size(input_size)
        self.input_name = self.session.get_inputs()[0].name
        out_channels = self.session.get_outputs()[0].shape[1]
        if isinstance(out_channels, int) and out_channels != self.sidecar.num_output_channels:
            raise SidecarError(f"{model_path} outputs {out_channels} channels, its sidecar "
                               f"says {self.sidecar.num_output_channels}")
        self.input_size = (self.sidecar.allowed_size(*input_size) if input_size
                           else self.sidecar.recommended_size)
        lut = np.full(self.sidecar.num_output_channels, self.label_set.void, np.uint8)
        lut[: self.label_set.num_classes] = np.arange(self.label_set.num_classes)
        self._channel_to_label = lut

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """Raw C x h x w logits at the network input size."""
        check_frame(rgb, 1, self.max_pixels)
        h, w = rgb.shape[:2]
        size = self.input_size or self.sidecar.allowed_size(w, h)
        x = rgb if size == (w, h) else cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        return self.session.run(None, {self.input_name: x})[0][0]

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        labels = self._channel_to_label[self.logits(rgb).argmax(axis=0)]
        if labels.shape != (h, w):
            labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
        return labels
