"""The ``spic`` backend: the project's own SpicSegNet, from safetensors + JSON config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from spic.labelsets import get_label_set
from spic.runtime import set_torch_threads
from spic.segmentation.base import MAX_PIXELS, Segmenter, check_frame
from spic.segmentation.checkpoint import load_model
from spic.segmentation.export import DEFAULT_WEIGHTS, MIN_SIDE, onnx_bytes, shipped_onnx

RUNTIMES = ("onnxruntime", "torch")


class SpicSegmenter(Segmenter):
    """SpicSegNet inference on the CPU at the frame's own size.

    ``model``: a folder with ``model.safetensors`` + ``config.json``, or that
    ``model.safetensors`` file (default: the embedded weights). ``runtime``:
    ``onnxruntime`` (default; ~2x faster than PyTorch and robust on busy shared CPUs: the
    graph shipped in the weights folder, hash-checked against the weights, or one exported in
    memory at load when the folder ships none) or ``torch``. ``threads``:
    intra-op threads (for ``torch`` process-wide and set once, see
    :func:`spic.runtime.set_torch_threads`; ``None`` leaves PyTorch's setting).
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = 2,
                 runtime: str = "onnxruntime", max_pixels: int = MAX_PIXELS) -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
        path = Path(model) if model else DEFAULT_WEIGHTS
        self.weights = path.parent if path.is_file() else path
        self.model = load_model(self.weights)
        self.label_set = get_label_set(self.model.config.label_set)
        self.max_pixels = max_pixels
        self.runtime = runtime
        self.session = None
        if runtime == "onnxruntime":
            from spic.runtime import cpu_session

            graph = shipped_onnx(self.weights) or onnx_bytes(self.model)
            self.session = cpu_session(graph, threads or 1)
        else:
            set_torch_threads(threads)

    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """C x H x W float32 logits for an H x W x 3 uint8 frame."""
        check_frame(rgb, MIN_SIDE, self.max_pixels)
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        if self.session is not None:
            return self.session.run(None, {"image": x})[0][0]
        with torch.inference_mode():
            return self.model(torch.from_numpy(x))[0].numpy()

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        return self.logits(rgb).argmax(0).astype(np.uint8)
