"""Segmenter registry (``onnx``: any ONNX model + JSON sidecar; ``spic``: the project's own)."""

from spic.registry import Registry
from spic.segmentation.base import FrameError, Segmenter

SEGMENTERS: Registry[Segmenter] = Registry("segmenter")
SEGMENTERS.register_lazy("onnx", "spic.segmentation.onnx_segmenter:OnnxSegmenter")
SEGMENTERS.register_lazy("spic", "spic.segmentation.spic_segmenter:SpicSegmenter")


def create_segmenter(name: str, model: str | None = None, **options) -> Segmenter:
    """A registered segmenter; ``model`` (a file or folder) is passed on when given."""
    if name not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {name!r}; known: {', '.join(SEGMENTERS.names())}")
    if model:
        options["model"] = model
    return SEGMENTERS.create(name, **options)


__all__ = ["SEGMENTERS", "FrameError", "Segmenter", "create_segmenter"]
